// The mapping from inspection events to wire items, on its own: real inspection events from a
// real bus (in Node), every kind, and every item checked by the protocol's own validator.
import { describe, expect, it } from 'vitest'
import { createBus, type InspectionEvent, type TidingsEvent } from '@tidings/core'
import { isWireItem, type WireItem } from './protocol.js'
import { REDACTED, compileRedactor, newReport } from './sanitize.js'
import { REDACT_FN_THREW, type Shaping, toWireItem, wireError } from './to-wire-item.js'
import { bridgeHost, decode } from '@tidings/core/bridge'

function record() {
  const bus = createBus({ name: 'map-test' })
  const seen: InspectionEvent[] = []
  bus.inspect((e) => seen.push(e))
  return { bus, seen }
}

const plainShaping: Shaping = {}

describe('toWireItem', () => {
  it('maps every inspection kind to a valid wire item, bridge hops included', async () => {
    const { bus, seen } = record()
    const sub = bus.subscribe('a.*', () => {}, { label: 'ok' })
    const failing = bus.subscribe('a.fail', () => {
      throw new TypeError('nope')
    })
    const full = bus.subscribe('q.*', async () => new Promise(() => {}), { queue: { max: 1, strategy: 'reject' } })
    bus.publish('a.b', { x: 1 }, { correlationId: 'c1', metadata: { who: 'me' } })
    bus.publish('a.fail', 1)
    for (let i = 0; i < 3; i++) {
      try {
        bus.publish('q.x', i)
      } catch {
        // the queue is full: a reject inspection, then QueueFullError
      }
    }
    const foreign: TidingsEvent = { id: 'other:7', type: 'a.c', timestamp: 1, version: 1, data: { from: 'tab' }, origin: 'other', seq: 7 }
    bridgeHost(bus, 'test').ingest(foreign, 'tabs')
    bridgeHost(bus, 'test').noteBridgedOut(foreign, 'worker')
    sub.unsubscribe()
    failing.unsubscribe()
    full.unsubscribe()
    await new Promise((r) => setTimeout(r, 10))

    const items = seen.map((e) => toWireItem(e, plainShaping, e.kind === 'publish' ? bus.bridgedBy(e.event) : undefined))
    expect(items.filter((i) => !isWireItem(i))).toEqual([])
    const kinds = new Set(items.map((i) => i.kind))
    expect([...kinds].sort()).toEqual(['bridge', 'deliver', 'drop', 'error', 'publish', 'reject', 'subscribe', 'unsubscribe'])

    const first = items.find((i): i is Extract<WireItem, { kind: 'publish' }> => i.kind === 'publish' && i.event.type === 'a.b')!
    expect(first.event).toMatchObject({ type: 'a.b', data: { x: 1 }, correlationId: 'c1', metadata: { who: 'me' }, origin: bus.origin })
    expect(first.ctx).toEqual({ origin: bus.origin })
    expect(first.cut).toBeUndefined()
    expect(first.receipt).toMatchObject({ matched: 1, delivered: 1 })

    const hops = items.filter((i) => i.kind === 'bridge')
    expect(hops).toEqual([
      { kind: 'bridge', at: expect.any(Number), eventId: 'other:7', type: 'a.c', origin: 'other', bridge: 'tabs', direction: 'in' },
      { kind: 'bridge', at: expect.any(Number), eventId: 'other:7', type: 'a.c', origin: 'other', bridge: 'worker', direction: 'out' },
    ])
    const bridged = items.find((i) => i.kind === 'publish' && i.event.id === 'other:7')
    expect(bridged?.kind === 'publish' && bridged.ctx).toEqual({ origin: 'other', via: 'tabs' })

    const err = items.find((i) => i.kind === 'error')
    expect(err).toMatchObject({ type: 'a.fail', sub: failing.id, error: { name: 'TypeError', message: 'nope' }, final: true })
    expect(items.find((i) => i.kind === 'reject')).toMatchObject({ type: 'q.x', sub: full.id })
    // unsubscribing the blocked queue drops what it still held
    expect(items.find((i) => i.kind === 'drop')).toMatchObject({ type: 'q.x', sub: full.id, reason: 'shutdown' })
    expect(items.find((i) => i.kind === 'subscribe' && i.subscription.id === sub.id)).toMatchObject({ subscription: { label: 'ok', patterns: ['a.*'] } })
    expect(items.filter((i) => i.kind === 'unsubscribe').map((i) => i.kind === 'unsubscribe' && i.sub)).toEqual([sub.id, failing.id, full.id])
  })

  it('redacts data and metadata, marks the item cut and reports the original size', () => {
    const { bus, seen } = record()
    bus.subscribe('**', () => {})
    bus.publish('u.login', { name: 'ada', password: 'hunter2' }, { metadata: { password: 'x', trace: 't1' } })
    const report = newReport()
    const item = toWireItem(seen.find((e) => e.kind === 'publish')!, { redactor: compileRedactor(['password']) }, undefined, report)
    expect(item).toMatchObject({ kind: 'publish', cut: true, event: { data: { name: 'ada', password: REDACTED }, metadata: { password: REDACTED, trace: 't1' } } })
    expect(JSON.stringify(item)).not.toContain('hunter2')
    expect(report.sized).toBe(true)
    expect(report.bytes).toBeGreaterThan(JSON.stringify({ name: 'ada', password: 'hunter2' }).length)
  })

  it('shows what a redact function returns, sizes the original, and hides everything when it throws', () => {
    const { bus, seen } = record()
    bus.subscribe('**', () => {})
    bus.publish('x.y', { secret: 's'.repeat(1000) })
    const e = seen.find((x) => x.kind === 'publish')!
    const report = newReport()
    const item = toWireItem(e, { redactFn: (ev) => ({ type: ev.type }) }, undefined, report)
    expect(item).toMatchObject({ cut: true, event: { data: { type: 'x.y' } } })
    expect(report.bytes).toBeGreaterThan(1000)
    const thrown = toWireItem(e, {
      redactFn: () => {
        throw new Error('bad redactor')
      },
    })
    expect(thrown.kind === 'publish' && thrown.event.data).toBe(REDACT_FN_THREW)
  })

  it('keeps metadata an object and the envelope valid whatever the data', () => {
    const { bus, seen } = record()
    bus.subscribe('**', () => {})
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    bus.publish('h.x', proxy, { metadata: proxy as Record<string, unknown>, source: { component: 'c'.repeat(500) } })
    bus.publish('h.y', 1, {
      source: {
        get component(): string {
          throw new Error('no')
        },
      },
    })
    const report = newReport()
    const item = toWireItem(seen.find((x) => x.kind === 'publish')!, plainShaping, undefined, report)
    expect(isWireItem(item)).toBe(true)
    expect(item.kind === 'publish' && item.event.data).toMatch(/^\[unreadable data: TypeError/)
    expect(item.kind === 'publish' && item.event.metadata).toEqual({ '…': expect.stringMatching(/^\[unreadable metadata: TypeError/) })
    expect(item.kind === 'publish' && item.event.source?.component).toHaveLength(200)
    expect(report).toMatchObject({ sized: false, cut: true })
    const hostileSource = toWireItem(seen.filter((x) => x.kind === 'publish')[1]!, { unread: '[not read]' })
    expect(hostileSource.kind === 'publish' && hostileSource.event.source).toEqual({ component: '[unreadable source]' })
    expect(isWireItem(hostileSource)).toBe(true)
  })

  it('leaves the data unread when told to (the batch read budget is spent)', () => {
    const { bus, seen } = record()
    bus.subscribe('**', () => {})
    bus.publish('big.x', { a: 1 }, { metadata: { m: 1 } })
    const report = newReport()
    const item = toWireItem(seen.find((x) => x.kind === 'publish')!, { unread: '[not read]' }, undefined, report)
    expect(item).toMatchObject({ kind: 'publish', cut: true, event: { type: 'big.x', data: '[not read]' } })
    expect(item.kind === 'publish' && 'metadata' in item.event).toBe(false)
    expect(isWireItem(item)).toBe(true)
    expect(report.sized).toBe(false)
  })

  it('turns anything thrown into a wire error without throwing itself', () => {
    expect(wireError('plain')).toEqual({ name: 'Error', message: 'plain' })
    const hostile = new Error('x')
    Object.defineProperty(hostile, 'message', {
      get() {
        throw new Error('no')
      },
    })
    expect(wireError(hostile)).toEqual({ name: 'Error', message: '[unreadable error]' })
  })

  it('small data read whole also travels exactly, in the type-preserving encoding; capped or unencodable data does not', () => {
    const { bus, seen } = record()
    const value = { byId: new Map([['u1', { at: new Date(0) }]]), big: 10n ** 20n, tags: new Set(['a']), negZero: -0 }
    bus.publish('x.small', value)
    bus.publish('x.big', { m: new Map(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) })
    bus.publish('x.fn', { cb: () => 1 })
    const items = seen.filter((e) => e.kind === 'publish').map((e) => toWireItem(e, plainShaping) as Extract<WireItem, { kind: 'publish' }>)
    expect(items.map((i) => [i.event.type, i.exact !== undefined, i.cut === true])).toEqual([
      ['x.small', true, false],
      ['x.big', false, true],
      ['x.fn', false, false], // shown as a preview; the encoding refuses a function, so no exact copy
    ])
    expect(decode(items[0]!.exact!, 'data')).toStrictEqual(value)
    expect(items.every((i) => isWireItem(i))).toBe(true)
    expect(isWireItem({ ...items[0]!, exact: 7 })).toBe(false)
    expect(isWireItem({ ...items[0]!, exact: 'x'.repeat(64 * 1024 + 1) })).toBe(false)
  })
})
