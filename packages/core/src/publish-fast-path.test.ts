// publish(type, data) to one route takes a fast path while the bus is "plain" (open, no schema,
// guard, inspector or bus-wide source). These check that every feature the fast path skips
// still applies once it is switched on, whenever that happens, and that receipts, envelopes,
// ids and counters are the same on both paths.
import * as fc from 'fast-check'
import * as v from 'valibot'
import { describe, expect, it, vi } from 'vitest'
import { BusClosedError, createBus, QueueFullError, SecurityError, ValidationError, type InspectionEvent, type PublishReceipt, type TidingsEvent } from './index.js'

/** A bus with one, two (by priority) and a filtered route, logging what each handler got; with
 *  `glob`, a wildcard route too (topics are then routed through the route cache). */
function make(glob = false) {
  const bus = createBus({ origin: 'o' })
  const log: string[] = []
  bus.subscribe('a', (e) => void log.push(`a1:${e.id}:${e.seq}`))
  bus.subscribe('b', (e) => void log.push(`b1:${e.id}`))
  bus.subscribe('b', (e) => void log.push(`b2:${e.id}`), { priority: 1 })
  bus.subscribe('c', (e) => void log.push(`c:${e.id}`), { filter: (e) => e.seq % 2 === 0 })
  if (glob) bus.subscribe('w.*', (e) => void log.push(`w:${e.type}:${e.id}`))
  return { bus, log }
}

const receipt = (id: string, r: Partial<PublishReceipt>): PublishReceipt => ({ id, matched: 1, delivered: 0, queued: 0, dropped: 0, rejected: 0, ...r })

describe('publish fast path', () => {
  it('builds the full envelope and receipt, ids in step with seq, across the id table rollover', () => {
    const bus = createBus({ origin: 'o' })
    const seen: TidingsEvent[] = []
    bus.subscribe('a', (e) => void seen.push(e))
    for (let i = 0; i < 1002; i++) expect(bus.publish('a', i)).toEqual(receipt(`o:${i}`, { delivered: 1 }))
    expect(seen).toHaveLength(1002)
    expect(seen.map((e) => e.id).slice(998)).toEqual(['o:998', 'o:999', 'o:1000', 'o:1001'])
    const e = seen[1001]!
    expect(Object.keys(e)).toEqual(['id', 'type', 'timestamp', 'version', 'data', 'origin', 'seq'])
    expect(e).toEqual({ id: 'o:1001', type: 'a', timestamp: e.timestamp, version: 1, data: 1001, origin: 'o', seq: 1001 })
    expect(JSON.parse(JSON.stringify(e))).toEqual({ ...e })
    expect(Math.abs(e.timestamp - Date.now())).toBeLessThan(60_000)
    expect(bus.stats()).toMatchObject({ published: 1002, delivered: 1002 })
  })

  it('a schema defined later validates the next publish; undefining it restores the fast path', () => {
    const bus = createBus()
    const seen: unknown[] = []
    bus.subscribe('n', (e) => void seen.push(e.data))
    bus.publish('n', 'x')
    bus.define('n', { schema: v.number() })
    expect(() => bus.publish('n', 'y')).toThrow(ValidationError)
    bus.publish('n', 2)
    bus.undefine('n')
    bus.publish('n', 'z')
    expect(seen).toEqual(['x', 2, 'z'])
  })

  it('a guard added later applies to the next publish', () => {
    const bus = createBus()
    const h = vi.fn()
    bus.subscribe('secret.x', h, { key: 'k' })
    bus.publish('secret.x')
    bus.guard('secret.*', { publishKey: 'p', subscribeKey: 'k' })
    expect(() => bus.publish('secret.x')).toThrow(SecurityError)
    expect(bus.publish('secret.x', undefined, { key: 'p' }).delivered).toBe(1)
    expect(h).toHaveBeenCalledTimes(2)
  })

  it('a bus-wide source is stamped on every event', () => {
    const bus = createBus({ source: { component: 'c' } })
    const seen: TidingsEvent[] = []
    bus.subscribe('a', (e) => void seen.push(e))
    bus.publish('a', 1)
    expect(seen[0]!.source).toEqual({ component: 'c' })
  })

  it('an inspector attached by the handler sees that very publish', () => {
    const bus = createBus()
    const seen: InspectionEvent[] = []
    let attached = false
    bus.subscribe('a', () => {
      if (!attached) bus.inspect((e) => void seen.push(e), { kinds: ['publish'] })
      attached = true
    })
    bus.publish('a', 1)
    bus.publish('a', 2)
    expect(seen.map((e) => e.kind === 'publish' && e.event.data)).toEqual([1, 2])
  })

  it('a closed bus throws BusClosedError', async () => {
    const bus = createBus()
    bus.subscribe('a', () => {})
    bus.publish('a')
    await bus.shutdown()
    expect(() => bus.publish('a')).toThrow(BusClosedError)
  })

  it('one route that skips, queues or refuses gives the same receipt as before', async () => {
    const bus = createBus({ origin: 'o' })
    bus.subscribe('f', () => {}, { filter: () => false })
    expect(bus.publish('f')).toEqual(receipt('o:0', {}))
    bus.subscribe('q', () => new Promise<void>(() => {}), { queue: { max: 2, strategy: 'reject' } })
    expect(bus.publish('q')).toEqual(receipt('o:1', { queued: 1 }))
    expect(bus.publish('q')).toEqual(receipt('o:2', { queued: 1 }))
    expect(() => bus.publish('q')).toThrow(QueueFullError)
    const once = vi.fn()
    bus.subscribe('o', once, { once: true })
    expect(bus.publish('o')).toEqual(receipt('o:4', { delivered: 1 }))
    expect(bus.publish('o')).toEqual(receipt('o:5', { matched: 0 }))
    expect(once).toHaveBeenCalledTimes(1)
    expect(bus.stats()).toMatchObject({ published: 6, delivered: 1, rejected: 1 })
  })

  it('a handler that subscribes or unsubscribes during its own delivery changes only later publishes', () => {
    const bus = createBus()
    const calls: string[] = []
    const first = bus.subscribe('a', (e) => {
      calls.push(`first:${e.data}`)
      first.unsubscribe()
      bus.subscribe('a', (e2) => void calls.push(`second:${e2.data}`))
    })
    expect(bus.publish('a', 1).delivered).toBe(1)
    expect(bus.publish('a', 2).delivered).toBe(1)
    expect(calls).toEqual(['first:1', 'second:2'])
  })

  it('a throwing handler is reported and counted, and the receipt still says delivered', () => {
    const bus = createBus({ origin: 'o' })
    const errors: string[] = []
    bus.errors$.subscribe((f) => void errors.push(f.error.message))
    bus.subscribe('a', () => {
      throw new Error('boom')
    })
    expect(bus.publish('a')).toEqual(receipt('o:0', { delivered: 1 }))
    expect(errors).toEqual(['boom'])
    expect(bus.stats()).toMatchObject({ errors: 1, delivered: 1 })
  })

  it('receipts and deliveries match the options path (the slow one) for any mix of topics', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'none'), { maxLength: 40 }), (topics) => {
        const fast = make()
        const slow = make()
        // `{}` options take the general path through publishInternal().
        const fastReceipts = topics.map((t) => fast.bus.publish(t, 1))
        const slowReceipts = topics.map((t) => slow.bus.publish(t, 1, {}))
        expect(fastReceipts).toEqual(slowReceipts)
        expect(fast.log).toEqual(slow.log)
        expect(fast.bus.stats()).toEqual(slow.bus.stats())
      }),
    )
  })

  it('the same with a wildcard route, and an inspector attached part-way through', () => {
    const topic = fc.constantFrom('a', 'b', 'c', 'none', 'w.1', 'w.2', 'x.y')
    fc.assert(
      fc.property(fc.array(topic, { maxLength: 40 }), fc.nat(40), (topics, at) => {
        const fast = make(true)
        const slow = make(true)
        const seen = { fast: [] as string[], slow: [] as string[] }
        const publishes = (which: 'fast' | 'slow') => (e: InspectionEvent) => {
          if (e.kind === 'publish') seen[which].push(`${e.event.type}:${e.receipt.matched}:${e.receipt.delivered}`)
        }
        const fastReceipts: PublishReceipt[] = []
        const slowReceipts: PublishReceipt[] = []
        topics.forEach((t, i) => {
          if (i === at) {
            fast.bus.inspect(publishes('fast'), { kinds: ['publish'] })
            slow.bus.inspect(publishes('slow'), { kinds: ['publish'] })
          }
          fastReceipts.push(fast.bus.publish(t, i))
          slowReceipts.push(slow.bus.publish(t, i, {}))
        })
        expect(fastReceipts).toEqual(slowReceipts)
        expect(fast.log).toEqual(slow.log)
        expect(seen.fast).toEqual(seen.slow)
        expect(seen.fast).toHaveLength(Math.max(0, topics.length - at))
        expect(fast.bus.stats()).toEqual(slow.bus.stats())
      }),
    )
  })
})
