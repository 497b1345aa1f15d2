// The panel's second-version model: recorded rows, problems and their filter, contexts counted
// from items, the chart's series, and the state view's entries and diffs.
import { describe, expect, it } from 'vitest'
import { encode } from '@tidings/core/bridge'
import type { WireItem } from '@tidings/devtools/protocol'
import { pathText, stateEntries } from './state-model.ts'
import { PanelStore } from './store.ts'

const receipt = (id: string, dropped = 0) => ({ id, matched: 1, delivered: 1, queued: 0, dropped, rejected: 0 })
function pub(n: number, type: string, data: unknown = { n }, at = 1_000_000 + n * 10, origin = 'o', dropped = 0): Extract<WireItem, { kind: 'publish' }> {
  const id = `${origin}:${n}`
  return { kind: 'publish', at, event: { id, type, timestamp: at, version: 1, data, origin, seq: n }, ctx: origin === 'o' ? { origin } : { origin, via: 'tabs' }, receipt: receipt(id, dropped) }
}

/** A `$tidings.state` publish item for key 'cart', with its exact copy (as the agent sends it). */
function st(n: number, value: unknown, from = 'local') {
  const data = { key: 'cart', value, stamp: { t: n, c: 0, o: 'w' }, from }
  const item = pub(n, '$tidings.state', data)
  item.exact = encode(data, '')
  return item
}

describe('panel v2 model', () => {
  it('marks recorded rows, finds problems and filters on them', () => {
    const s = new PanelStore()
    s.setAgent({ name: 'a', bus: 'b', origin: 'o', url: '', protocol: 1, maxEventsPerSecond: 1, paused: false })
    s.applyBatch({ items: [pub(1, 'boot.x'), pub(2, 'boot.y')], skipped: 0, recorded: true })
    s.applyBatch({
      items: [pub(3, 'ok.x'), pub(4, 'dropped.x', {}, 1_000_040, 'o', 1), { kind: 'error', at: 1_000_050, eventId: 'o:5', type: 'err.x', sub: 's', error: { name: 'E', message: 'm' }, attempt: 1, final: true }, pub(5, 'err.x'), pub(1, 'peer.x', {}, 1_000_060, 'p')],
      skipped: 0,
    })
    expect(s.events.map((e) => [e.event.type, e.recorded, e.problem ?? ''])).toEqual([
      ['boot.x', true, ''],
      ['boot.y', true, ''],
      ['ok.x', false, ''],
      ['dropped.x', false, 'dropped'],
      ['err.x', false, 'error'],
      ['peer.x', false, ''],
    ])
    expect(s.recordedCount).toBe(2)
    s.setFilter('', '', true)
    expect(s.filtered.map((e) => e.event.type)).toEqual(['dropped.x', 'err.x'])
    // a drop arriving later turns a shown-or-hidden row into a problem row
    s.applyBatch({ items: [{ kind: 'drop', at: 1_000_070, eventId: 'o:3', type: 'ok.x', sub: 's', reason: 'drop-newest' }], skipped: 0 })
    expect(s.filtered.map((e) => e.event.type)).toEqual(['ok.x', 'dropped.x', 'err.x'])
    s.setFilter('err.*', '', true)
    expect(s.filtered.map((e) => e.event.type)).toEqual(['err.x'])
    s.setFilter('', '', false)
    expect(s.filtered).toHaveLength(6)
    // contexts counted from the items: the page first (its agent's origin), then the peer via tabs
    expect(s.contexts.map((c) => [c.origin, c.self, c.via ?? '', c.events])).toEqual([
      ['o', true, '', 5],
      ['p', false, 'tabs', 1],
    ])
    s.clear()
    expect(s.recordedCount).toBe(0)
  })

  it('chart series: top types by count, $ system topics and the rest as other, problems per second, at least 15 s', () => {
    const s = new PanelStore()
    const items: WireItem[] = []
    let n = 0
    for (let i = 0; i < 5; i++) items.push(pub(n++, 'a.x', {}, 10_000))
    for (let i = 0; i < 3; i++) items.push(pub(n++, 'b.x', {}, 11_000))
    for (let i = 0; i < 9; i++) items.push(pub(n++, '$tidings.subscription.added', {}, 11_000))
    items.push(pub(n++, 'c.x', {}, 11_500))
    items.push({ kind: 'drop', at: 11_200, eventId: 'o:0', type: 'a.x', sub: 's', reason: 'drop-oldest' })
    s.applyBatch({ items, skipped: 0 })
    const t = s.throughput(2)
    expect(t.seconds).toHaveLength(15)
    expect(t.seconds.at(-1)).toBe(11)
    expect(t.series.map((x) => x.type)).toEqual(['a.x', 'b.x', 'other'])
    expect(t.series.map((x) => x.values.slice(-2))).toEqual([
      [5, 0],
      [0, 3],
      [0, 10],
    ])
    expect(t.problems.slice(-2)).toEqual([0, 1])
  })

  it('state entries: keys from the snapshot and the log, history with microdiff diffs, exact values decoded', () => {
    const s = new PanelStore()
    s.applySnapshot({
      tag: 'tidings.devtools',
      v: 1,
      kind: 'snapshot',
      nonce: 'n',
      at: 1,
      subscriptions: [],
      stats: { published: 0, delivered: 0, dropped: 0, rejected: 0, errors: 0, subscriptions: 0 } as never,
      paused: false,
      states: [
        { key: 'theme', value: 'light' },
        { key: 'cart', value: { items: ['a', 'b'], coupon: 'X' }, stamp: { t: 3, c: 0, o: 'w' } },
      ],
    })
    s.applyBatch({ items: [st(1, { items: ['a'], coupon: null }), st(2, { items: ['a', 'b'], coupon: null }), st(3, { items: ['a', 'b'], coupon: 'X' }, 'peer')], skipped: 0 })
    const entries = stateEntries(s)
    expect(entries.map((e) => [e.key, e.history.length])).toEqual([
      ['cart', 3],
      ['theme', 0],
    ])
    const cart = entries[0]!
    expect(cart.value).toEqual({ items: ['a', 'b'], coupon: 'X' })
    expect(cart.history.map((h) => h.from)).toEqual(['local', 'local', 'peer'])
    expect(cart.history[0]!.diff).toBeUndefined()
    expect(cart.history[1]!.diff!.map((d) => [d.type, pathText(d.path)])).toEqual([['CREATE', 'items[1]']])
    expect(cart.history[2]!.diff!.map((d) => [d.type, pathText(d.path), d.type === 'CHANGE' ? d.oldValue : undefined])).toEqual([['CHANGE', 'coupon', null]])
    expect(entries[1]!.value).toBe('light')
  })
})
