import { describe, expect, it } from 'vitest'
import { type WireItem, parseExport } from '@tidings/devtools/protocol'
import { PanelStore } from './store.ts'

const receipt = (id: string) => ({ id, matched: 1, delivered: 1, queued: 0, dropped: 0, rejected: 0 })
function pub(n: number, type: string, extra: Record<string, unknown> = {}, at = 1_000_000 + n): WireItem {
  const id = `o:${n}`
  return { kind: 'publish', at, event: { id, type, timestamp: at, version: 1, data: { n }, origin: 'o', seq: n, ...extra }, ctx: { origin: 'o' }, receipt: receipt(id) }
}

const deliver = (eventId: string, sub: string): WireItem => ({ kind: 'deliver', at: 1, eventId, sub, ms: 0.1, attempt: 1 })

describe('PanelStore', () => {
  it('attaches deliveries/errors that arrive before their publish item and after it', () => {
    const s = new PanelStore()
    s.applyBatch({
      items: [
        { kind: 'deliver', at: 1, eventId: 'o:1', sub: 's1', ms: 0.2, attempt: 1 },
        { kind: 'error', at: 1, eventId: 'o:1', type: 'a.b', sub: 's2', error: { name: 'E', message: 'boom' }, attempt: 1, final: true },
        pub(1, 'a.b'),
      ],
      skipped: 3,
    })
    s.applyBatch({ items: [{ kind: 'deliver', at: 2, eventId: 'o:1', sub: 's3', ms: 1, attempt: 1 }], skipped: 0 })
    const e = s.byId.get('o:1')!
    expect(e.deliveries.map((d) => d.sub)).toEqual(['s1', 's3'])
    expect(e.errors.map((f) => f.error.message)).toEqual(['boom'])
    expect(s.skipped).toBe(3)
  })

  it('counts deliveries from the receipt without timing, from the deliver items with it; follows the agent\'s timing state', () => {
    const s = new PanelStore()
    expect(s.timing).toBe(true) // an agent that does not say streams deliver items
    const stats = { published: 0, delivered: 0, dropped: 0, rejected: 0, errors: 0, subscriptions: 0 } as never
    s.applySnapshot({ tag: 'tidings.devtools', v: 1, kind: 'snapshot', nonce: 'n', at: 1, subscriptions: [], stats, paused: false, timing: false })
    expect(s.timing).toBe(false)
    const three = { ...pub(1, 'a.b'), receipt: { id: 'o:1', matched: 4, delivered: 3, queued: 1, dropped: 0, rejected: 0 } } as WireItem
    s.applyBatch({ items: [three], skipped: 0 })
    expect([s.byId.get('o:1')!.delivered, s.byId.get('o:1')!.deliveries.length]).toEqual([3, 0])
    // timing on: the queued delivery shows up as a deliver item when it runs
    s.applySnapshot({ tag: 'tidings.devtools', v: 1, kind: 'snapshot', nonce: 'n', at: 2, subscriptions: [], stats, paused: false, timing: true })
    expect(s.timing).toBe(true)
    const two = { ...pub(2, 'a.b'), receipt: { id: 'o:2', matched: 2, delivered: 1, queued: 1, dropped: 0, rejected: 0 } } as WireItem
    s.applyBatch({ items: [deliver('o:2', 's1'), two, deliver('o:2', 's2')], skipped: 0 })
    expect(s.byId.get('o:2')!.delivered).toBe(2)
  })

  it('filters by glob patterns and text, and reports invalid patterns', () => {
    const s = new PanelStore()
    s.applyBatch({ items: [pub(1, 'user.login'), pub(2, 'user.profile.saved'), pub(3, 'cart.add'), pub(4, '$tidings.error')], skipped: 0 })
    s.setFilter('user.*', '')
    expect(s.filtered.map((e) => e.event.type)).toEqual(['user.login'])
    s.setFilter('user.**, cart.*', '')
    expect(s.filtered.map((e) => e.event.type)).toEqual(['user.login', 'user.profile.saved', 'cart.add'])
    s.setFilter('**', '')
    expect(s.filtered).toHaveLength(3) // system topics need a $ pattern
    s.setFilter('$tidings.*', '')
    expect(s.filtered.map((e) => e.event.type)).toEqual(['$tidings.error'])
    s.setFilter('', '"n":3')
    expect(s.filtered.map((e) => e.event.type)).toEqual(['cart.add'])
    // live events respect the current filter
    s.setFilter('cart.*', '')
    s.applyBatch({ items: [pub(5, 'cart.remove'), pub(6, 'user.logout')], skipped: 0 })
    expect(s.filtered.map((e) => e.event.type)).toEqual(['cart.add', 'cart.remove'])
    s.setFilter('cart.[', '')
    expect(s.filterError).toMatch(/Invalid pattern/)
  })

  it('evicts the oldest events in chunks past maxEvents, keeping indexes consistent', () => {
    const s = new PanelStore({ maxEvents: 100 })
    const items: WireItem[] = []
    for (let i = 0; i < 150; i++) items.push(pub(i, i % 2 ? 'odd.x' : 'even.x', { correlationId: 'c' }))
    s.setFilter('odd.*', '')
    s.applyBatch({ items, skipped: 0 })
    expect(s.events.length).toBeLessThanOrEqual(100)
    expect(s.events.at(-1)!.event.id).toBe('o:149')
    const first = s.events[0]!.n
    expect(s.byId.has('o:0')).toBe(false)
    expect(s.filtered.every((e) => e.n >= first && e.event.type === 'odd.x')).toBe(true)
    expect(s.correlated(s.events.at(-1)!).length).toBe(s.events.length)
  })

  it('links causation and correlation, computes throughput by top topics', () => {
    const s = new PanelStore()
    s.applyBatch({
      items: [pub(1, 'order.created', { correlationId: 'k' }, 5000), pub(2, 'order.paid', { correlationId: 'k', causationId: 'o:1' }, 5100), pub(3, 'x.y', {}, 6000)],
      skipped: 0,
    })
    const created = s.byId.get('o:1')!
    expect(s.causedBy(created).map((e) => e.event.type)).toEqual(['order.paid'])
    expect(s.correlated(created).map((e) => e.event.type)).toEqual(['order.created', 'order.paid'])
    const t = s.throughput(1)
    expect(t.seconds.at(-1)).toBe(6)
    expect(t.series.map((x) => x.type)).toEqual(['order.created', 'other'])
    expect(t.series[0]!.values.at(-2)).toBe(1)
    expect(t.series[1]!.values.slice(-2)).toEqual([1, 1])
  })

  it('exports and re-imports without duplicating events', () => {
    const s = new PanelStore()
    s.applyBatch({ items: [{ kind: 'deliver', at: 1, eventId: 'o:1', sub: 's1', ms: 1, attempt: 1 }, pub(1, 'a.b'), pub(2, 'a.c')], skipped: 0 })
    const file = JSON.parse(JSON.stringify(s.toExport()))
    const t = new PanelStore()
    expect(t.importFile(file)).toBe(2)
    expect(t.events.map((e) => e.event.type)).toEqual(['a.b', 'a.c'])
    expect(t.byId.get('o:1')!.deliveries).toHaveLength(1)
    expect(t.importFile(file)).toBe(0)
  })

  it('keeps bridge hops on their event, and an export/import round trip keeps every item (hops, cut flag, order per event)', () => {
    const s = new PanelStore()
    const hopIn: WireItem = { kind: 'bridge', at: 10, eventId: 'tab:7', type: 'shared.note', origin: 'tab', bridge: 'tabs', direction: 'in' }
    const mine = pub(1, 'shared.mine')
    const hopOut: WireItem = { kind: 'bridge', at: 12, eventId: 'o:1', type: 'shared.mine', origin: 'o', bridge: 'tabs', direction: 'out' }
    const hopOut2: WireItem = { kind: 'bridge', at: 13, eventId: 'o:1', type: 'shared.mine', origin: 'o', bridge: 'worker', direction: 'out' }
    const bridged: WireItem = {
      kind: 'publish',
      at: 11,
      event: { id: 'tab:7', type: 'shared.note', timestamp: 11, version: 1, data: { text: 'x'.repeat(10) + '… (9000 chars)' }, origin: 'tab', seq: 7 },
      ctx: { origin: 'tab', via: 'tabs' },
      receipt: receipt('tab:7'),
      cut: true,
    }
    const delivery: WireItem = { kind: 'deliver', at: 11, eventId: 'tab:7', sub: 's1', ms: 0.1, attempt: 1 }
    const failure: WireItem = { kind: 'error', at: 11, eventId: 'tab:7', type: 'shared.note', sub: 's2', error: { name: 'E', message: 'm' }, attempt: 1, final: true }
    const drop: WireItem = { kind: 'drop', at: 11, eventId: 'o:1', type: 'shared.mine', sub: 's3', reason: 'drop-oldest' }
    const sub: WireItem = { kind: 'subscribe', at: 1, subscription: { id: 's1', patterns: ['shared.**'], kind: 'handler', priority: 0, received: 1, handled: 1, dropped: 0, rejected: 0, errors: 0, queued: 0, maxQueued: 0 } }
    // live order: the 'in' hop and the delivery come before their publish, the 'out' hops after it
    s.applyBatch({ items: [sub, hopIn, delivery, failure, bridged, mine, drop, hopOut, hopOut2], skipped: 0 })
    const note = s.byId.get('tab:7')!
    expect(note.hops.map((h) => [h.bridge, h.direction])).toEqual([['tabs', 'in']])
    expect(note.deliveries).toHaveLength(1)
    expect(s.byId.get('o:1')!.hops.map((h) => [h.bridge, h.direction])).toEqual([
      ['tabs', 'out'],
      ['worker', 'out'],
    ])

    // export: exactly the items applied, validated by the protocol on the way back in
    const file = s.toExport()
    expect(new Set(file.items)).toEqual(new Set([sub, hopIn, delivery, failure, bridged, mine, drop, hopOut, hopOut2].map((i) => (i.kind === 'subscribe' ? { ...i, at: 0 } : i))))
    const check = parseExport(JSON.parse(JSON.stringify(file)))
    if (!check.ok) throw new Error(check.reason)
    expect(check.invalid).toBe(0)
    const t = new PanelStore()
    expect(t.importFile(check.file)).toBe(2)
    for (const id of ['tab:7', 'o:1']) {
      const [a, b] = [s.byId.get(id)!, t.byId.get(id)!]
      expect(b.item).toEqual(a.item)
      expect(b.followers).toEqual(a.followers)
    }
    expect(t.byId.get('tab:7')!.hops).toEqual([hopIn])
    expect(t.byId.get('tab:7')!.item.cut).toBe(true)
    expect(t.byId.get('o:1')!.hops).toEqual([hopOut, hopOut2])
    expect(t.subscriptions.get('s1')?.patterns).toEqual(['shared.**'])
    // a second import of the same file adds no event and no item
    expect(t.importFile(check.file)).toBe(0)
    expect(t.byId.get('o:1')!.followers).toHaveLength(3)
    expect(t.toExport().items).toHaveLength(file.items.length)
  })
})
