// queue: { order: 'priority' } on queued subscriptions and inboxes: higher envelope priority
// first, FIFO among equals, and the overflow strategies pick their victims by priority.
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createBus } from './bus.js'
import type { TidingsEvent } from './envelope.js'
import { InvalidOptionError } from './errors.js'
import { PriorityQueue } from './priority-buffer.js'

const tick = () => new Promise((r) => setTimeout(r, 0))

/** A queued handler that is busy with a first event until `release()`. */
function busyHandler(order: 'priority' | 'fifo' | undefined, max = 100, strategy: 'drop-oldest' | 'drop-newest' | 'reject' = 'drop-oldest') {
  const bus = createBus()
  const handled: string[] = []
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const sub = bus.subscribe(
    'job',
    async (e: TidingsEvent) => {
      if (e.data === 'busy') return gate
      handled.push(e.data as string)
    },
    { queue: { max, strategy, ...(order ? { order } : {}) } },
  )
  return { bus, handled, release, sub }
}

describe("queue order 'priority'", () => {
  it('the issue example: queue 1, 1, 5, 1, 9 while busy -> handles 9, 5, 1, 1, 1 (FIFO among equals)', async () => {
    const { bus, handled, release } = busyHandler('priority')
    bus.publish('job', 'busy')
    await tick()
    const prios = [1, 1, 5, 1, 9]
    prios.forEach((p, i) => bus.publish('job', `p${p}#${i}`, { priority: p }))
    release()
    await bus.shutdown()
    expect(handled).toEqual(['p9#4', 'p5#2', 'p1#0', 'p1#1', 'p1#3'])
  })

  it('the default order stays FIFO', async () => {
    for (const order of [undefined, 'fifo'] as const) {
      const { bus, handled, release } = busyHandler(order)
      bus.publish('job', 'busy')
      await tick()
      ;[1, 1, 5, 1, 9].forEach((p, i) => bus.publish('job', `p${p}#${i}`, { priority: p }))
      release()
      await bus.shutdown()
      expect(handled).toEqual(['p1#0', 'p1#1', 'p5#2', 'p1#3', 'p9#4'])
    }
  })

  it('events without priority count as 0; negative priorities go last', async () => {
    const { bus, handled, release } = busyHandler('priority')
    bus.publish('job', 'busy')
    await tick()
    bus.publish('job', 'none')
    bus.publish('job', 'neg', { priority: -2 })
    bus.publish('job', 'zero', { priority: 0 })
    bus.publish('job', 'one', { priority: 1 })
    release()
    await bus.shutdown()
    expect(handled).toEqual(['one', 'none', 'zero', 'neg'])
  })

  it('drop-oldest evicts the oldest event of the lowest priority; a new event below all of them is the one dropped', async () => {
    const { bus, handled, release, sub } = busyHandler('priority', 3, 'drop-oldest')
    bus.publish('job', 'busy')
    await tick()
    bus.publish('job', 'a5', { priority: 5 })
    bus.publish('job', 'b1', { priority: 1 })
    bus.publish('job', 'c1', { priority: 1 })
    const r1 = bus.publish('job', 'd3', { priority: 3 }) // evicts b1 (oldest of the lowest)
    const r2 = bus.publish('job', 'e0', { priority: 0 }) // below everything queued: dropped itself
    const r3 = bus.publish('job', 'f1', { priority: 1 }) // ties the lowest: evicts c1
    expect([r1, r2, r3].map((r) => [r.queued, r.dropped])).toEqual([
      [1, 1],
      [0, 1],
      [1, 1],
    ])
    release()
    await bus.shutdown()
    expect(handled).toEqual(['a5', 'd3', 'f1'])
    expect(sub.stats().dropped).toBe(3)
  })

  it('drop-newest refuses a new event only if nothing queued has a lower priority', async () => {
    const { bus, handled, release, sub } = busyHandler('priority', 3, 'drop-newest')
    bus.publish('job', 'busy')
    await tick()
    bus.publish('job', 'a5', { priority: 5 })
    bus.publish('job', 'b1', { priority: 1 })
    bus.publish('job', 'c1', { priority: 1 })
    const r1 = bus.publish('job', 'd1', { priority: 1 }) // nothing lower queued: refused
    const r2 = bus.publish('job', 'e9', { priority: 9 }) // evicts c1 (the newest of the lowest)
    expect([r1, r2].map((r) => [r.queued, r.dropped])).toEqual([
      [0, 1],
      [1, 1],
    ])
    release()
    await bus.shutdown()
    expect(handled).toEqual(['e9', 'a5', 'b1'])
    expect(sub.stats().dropped).toBe(2)
  })

  it('inboxes take the same option', async () => {
    const bus = createBus()
    const inbox = bus.inbox('m', { max: 3, strategy: 'drop-oldest', order: 'priority' })
    for (const [d, p] of [['x', 2], ['y', 7], ['z', 2], ['w', 1]] as const) bus.publish('m', d, { priority: p })
    const got = await inbox.receiveBatch({ max: 10, timeoutMs: 0 })
    expect(got.map((e) => e.data)).toEqual(['y', 'x', 'z'])
    expect(inbox.stats().dropped).toBe(1)
  })

  it('refuses an unknown order', () => {
    const bus = createBus()
    expect(() => bus.subscribe('a', () => {}, { queue: { max: 1, strategy: 'reject', order: 'lifo' as 'fifo' } })).toThrow(InvalidOptionError)
    expect(() => bus.inbox('a', { order: 'lifo' as 'fifo' })).toThrow(/inbox\.order/)
  })

  it('a full priority queue loses exactly the events a model says, and hands out the rest in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom('drop-oldest' as const, 'drop-newest' as const),
        async (prios, max, strategy) => {
          const { bus, handled, release } = busyHandler('priority', max, strategy)
          bus.publish('job', 'busy')
          await tick()
          // The model: a list of [priority, index]; the victim rules of docs/delivery.md.
          let model: [number, number][] = []
          prios.forEach((p, i) => {
            bus.publish('job', String(i), { priority: p })
            if (model.length < max) return void model.push([p, i])
            const low = Math.min(...model.map(([q]) => q))
            if (strategy === 'drop-oldest' ? p < low : p <= low) return
            const at = strategy === 'drop-oldest' ? model.findIndex(([q]) => q === low) : model.map(([q]) => q).lastIndexOf(low)
            model.splice(at, 1)
            model.push([p, i])
          })
          model = model.sort((a, b) => b[0] - a[0] || a[1] - b[1])
          release()
          await bus.shutdown()
          expect(handled).toEqual(model.map(([, i]) => String(i)))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('PriorityQueue hands out any sequence by priority desc, FIFO among equals (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -3, max: 3 }), fc.boolean()), { maxLength: 200 }), (ops) => {
        const q = new PriorityQueue()
        const model: { p: number; n: number }[] = []
        let n = 0
        const out: number[] = []
        const expected: number[] = []
        for (const [p, take] of ops) {
          if (take) {
            const e = q.shift()
            model.sort((a, b) => b.p - a.p || a.n - b.n)
            const m = model.shift()
            out.push(e === undefined ? -1 : (e.data as number))
            expected.push(m === undefined ? -1 : m.n)
          } else {
            q.push({ id: String(n), type: 't', timestamp: 0, version: 1, data: n, origin: 'o', seq: n, priority: p })
            model.push({ p, n: n++ })
          }
        }
        model.sort((a, b) => b.p - a.p || a.n - b.n)
        expect(out).toEqual(expected)
        expect(q.size).toBe(model.length)
        expect(q.takeAll().map((e) => e.data)).toEqual(model.map((m) => m.n))
        expect(q.size).toBe(0)
      }),
    )
  })
})
