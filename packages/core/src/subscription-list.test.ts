import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createBus } from './bus.js'
import { InvalidOptionError } from './delivery-options.js'
import { SubscriptionList } from './subscription-list.js'

type Entry = { id: number; active: boolean }

describe('SubscriptionList', () => {
  it('lists the active entries in the order they were added, whatever ends in between', () => {
    // ops: true adds a new entry, a number ends the live entry at that index (mod the live count).
    const ops = fc.array(fc.oneof(fc.constant(true as const), fc.nat()), { maxLength: 600 })
    fc.assert(
      fc.property(ops, (steps) => {
        const list = new SubscriptionList<Entry>()
        const model: Entry[] = []
        let next = 0
        for (const step of steps) {
          if (step === true) {
            const e = { id: next++, active: true }
            list.add(e)
            model.push(e)
          } else if (model.length > 0) {
            const [e] = model.splice(step % model.length, 1)
            e!.active = false
            list.removed()
          }
          expect(list.size).toBe(model.length)
        }
        expect(list.list().map((e) => e.id)).toEqual(model.map((e) => e.id))
        // Ended entries are dropped once they outnumber the live ones (plus 64).
        const kept = (list as unknown as { items: Entry[] }).items.length
        expect(kept).toBeLessThanOrEqual(2 * model.length + 65)
      }),
    )
  })

  it('gives a snapshot: ending entries while walking it skips none', () => {
    const list = new SubscriptionList<Entry>()
    const entries = Array.from({ length: 200 }, (_, id) => ({ id, active: true }))
    for (const e of entries) list.add(e)
    let walked = 0
    for (const e of list.list()) {
      e.active = false
      list.removed()
      walked++
    }
    expect(walked).toBe(200)
    expect(list.size).toBe(0)
    expect(list.list()).toEqual([])
  })
})

describe('the bus subscription list', () => {
  it('keeps subscriptions(), stats() and unsubscribePattern() right through heavy churn', async () => {
    const bus = createBus()
    const subs = Array.from({ length: 300 }, (_, i) => bus.subscribe(i % 3 === 0 ? 'a.x' : `b.${i}`, () => {}))
    // End two thirds, then add more: compaction runs in between.
    subs.forEach((s, i) => i % 3 !== 0 && s.unsubscribe())
    const later = Array.from({ length: 10 }, () => bus.subscribe('a.x', () => {}, { once: true }))
    expect(bus.stats().subscriptions).toBe(110)
    expect(bus.subscriptions().map((s) => s.id)).toEqual([...subs.filter((_, i) => i % 3 === 0), ...later].map((s) => s.id))
    bus.publish('a.x', 1) // the `once` ones end
    expect(bus.stats().subscriptions).toBe(100)
    expect(bus.subscriberCount('a.x')).toBe(100)
    expect(bus.unsubscribePattern('a.x')).toBe(100)
    expect(bus.stats().subscriptions).toBe(0)
    expect(bus.subscriptions()).toEqual([])
    const last = bus.subscribe('c', () => {})
    await bus.shutdown()
    expect(last.active).toBe(false)
    expect(bus.stats().subscriptions).toBe(0)
  })

  it('a subscribe() that threw on a bad option leaves nothing behind, even when its signal aborts later', async () => {
    const bus = createBus()
    const announced: string[] = []
    bus.subscribe('$tidings.subscription.*', (e) => void announced.push(e.type))
    const kept = bus.subscribe('a', () => {})
    const later = new AbortController()
    const already = new AbortController()
    already.abort()
    for (const signal of [later.signal, already.signal])
      expect(() => bus.subscribe('a', () => {}, { signal, queue: { max: -1, strategy: 'drop-oldest' } })).toThrow(InvalidOptionError)
    later.abort()
    await new Promise((r) => setTimeout(r, 0))
    // Two live subscriptions (the system listener and `kept`): the failed ones were never added,
    // so nothing is taken out for them and no 'removed' event names them.
    expect(bus.stats().subscriptions).toBe(2)
    expect(bus.subscriptions().map((s) => s.id)).toEqual([expect.any(String), kept.id])
    expect(announced).toEqual(['$tidings.subscription.added'])
    // A registered subscription still ends on its signal.
    const ctl = new AbortController()
    const sub = bus.subscribe('a', () => {}, { signal: ctl.signal })
    ctl.abort()
    expect(sub.active).toBe(false)
    expect(bus.stats().subscriptions).toBe(2)
  })
})
