import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { InspectionEvent } from './inspect.js'
import {
  createBus,
  ERROR_TOPIC,
  InvalidOptionError,
  QueueFullError,
  TimeoutError,
  type HandlerContext,
  type HandlerFailure,
  type TidingsEvent,
} from './index.js'
import { bridgeHost } from './bridge/host.js'

const h = () => {}

/** Lets queued workers (microtasks) run. */
const tick = async (n = 5) => {
  for (let i = 0; i < n; i++) await Promise.resolve()
}

/** A handler whose calls wait until released, to hold events in the queue. */
function gated() {
  const seen: unknown[] = []
  const gates: Array<() => void> = []
  const handler = (e: TidingsEvent) => {
    seen.push(e.data)
    return new Promise<void>((r) => gates.push(r))
  }
  const releaseAll = async () => {
    for (;;) {
      await tick()
      const gate = gates.shift()
      if (gate === undefined) return
      gate()
    }
  }
  return { seen, gates, handler, releaseAll }
}

describe('queued subscriptions: async delivery and order', () => {
  it('publish only enqueues; the handler runs after publish returns, in publish order', async () => {
    const bus = createBus({ origin: 'A' })
    const seen: number[] = []
    const sub = bus.subscribe('job', async (e) => {
      await tick(2)
      seen.push(e.data as number)
    }, { queue: { max: 100, strategy: 'reject' } })
    const r = bus.publish('job', 0)
    expect(r).toMatchObject({ matched: 1, delivered: 0, queued: 1, dropped: 0, rejected: 0 })
    expect(seen).toEqual([])
    expect(sub.stats()).toMatchObject({ received: 1, queued: 1, handled: 0 })
    for (let i = 1; i < 50; i++) bus.publish('job', i)
    await vi.waitFor(() => expect(seen).toHaveLength(50))
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect(sub.stats()).toEqual({ received: 50, handled: 50, dropped: 0, rejected: 0, errors: 0, queued: 0, maxQueued: 50 })
  })

  it('keeps per-origin order with concurrency 1 for local and bridged events', async () => {
    const bus = createBus({ origin: 'A' })
    const seen: string[] = []
    bus.subscribe('job', async (e) => {
      await tick(Number(e.seq) % 3)
      seen.push(`${e.origin}${e.seq}`)
    }, { concurrency: 1 })
    for (let i = 0; i < 5; i++) {
      bus.publish('job', i)
      bridgeHost(bus, 'test').ingest({ id: `B:${i}`, type: 'job', timestamp: 1, version: 1, data: i, origin: 'B', seq: i }, 'test')
    }
    await vi.waitFor(() => expect(seen).toHaveLength(10))
    expect(seen.filter((s) => s.startsWith('A'))).toEqual(['A0', 'A1', 'A2', 'A3', 'A4'])
    expect(seen.filter((s) => s.startsWith('B'))).toEqual(['B0', 'B1', 'B2', 'B3', 'B4'])
    expect(seen).toEqual(['A0', 'B0', 'A1', 'B1', 'A2', 'B2', 'A3', 'B3', 'A4', 'B4'])
  })

  it('runs at most `concurrency` handlers at once and awaits async handlers', async () => {
    const bus = createBus()
    const g = gated()
    let running = 0
    let peak = 0
    const sub = bus.subscribe('job', (e) => {
      running++
      peak = Math.max(peak, running)
      return g.handler(e).then(() => running--)
    }, { queue: { max: 100, strategy: 'reject' }, concurrency: 3 })
    for (let i = 0; i < 10; i++) bus.publish('job', i)
    await tick()
    expect(g.seen).toEqual([0, 1, 2])
    expect(sub.stats().queued).toBe(7)
    await g.releaseAll()
    expect(g.seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(peak).toBe(3)
    expect(running).toBe(0)
    expect(sub.stats()).toMatchObject({ received: 10, handled: 10, queued: 0, maxQueued: 10 })
  })

  it('higher-priority queued subscriptions get the event first', async () => {
    const bus = createBus()
    const order: string[] = []
    bus.subscribe('job', () => void order.push('low'), { queue: { max: 10, strategy: 'reject' }, priority: 1 })
    bus.subscribe('job', () => void order.push('high'), { queue: { max: 10, strategy: 'reject' }, priority: 5 })
    bus.subscribe('job', () => void order.push('sync'))
    bus.publish('job')
    expect(order).toEqual(['sync'])
    await tick()
    expect(order).toEqual(['sync', 'high', 'low'])
  })

  it('concurrency without queue implies the default queue (10 000, drop-oldest), listed in subscriptions()', () => {
    const bus = createBus()
    const sub = bus.subscribe('job', () => {}, { concurrency: 2, label: 'worker' })
    const info = bus.subscriptions().find((s) => s.id === sub.id)
    expect(info).toMatchObject({ kind: 'queued', label: 'worker', queueMax: 10_000, strategy: 'drop-oldest', concurrency: 2, queued: 0 })
  })

  it('rejects bad options with InvalidOptionError naming the option', () => {
    const bus = createBus()
    expect(() => bus.subscribe('a', h, { queue: { max: 0, strategy: 'reject' } })).toThrow(InvalidOptionError)
    expect(() => bus.subscribe('a', h, { queue: { max: 0, strategy: 'reject' } })).toThrow('queue.max')
    expect(() => bus.subscribe('a', h, { queue: { max: 1, strategy: 'lifo' as never } })).toThrow("queue.strategy: \"lifo\". Expected one of 'drop-oldest'")
    expect(() => bus.subscribe('a', h, { concurrency: 0 })).toThrow('concurrency')
    expect(() => bus.subscribe('a', h, { retry: { attempts: 0 } })).toThrow('retry.attempts')
    expect(() => bus.subscribe('a', h, { retry: { attempts: 2, backoffMs: -1 } })).toThrow('retry.backoffMs')
    expect(() => bus.subscribe('a', h, { retry: { attempts: 2, factor: 0.5 } })).toThrow('retry.factor')
    expect(() => bus.subscribe('a', h, { timeoutMs: 0 })).toThrow('timeoutMs')
    expect(bus.subscriptions()).toHaveLength(0)
  })
})

describe('queued subscriptions: overflow strategies', () => {
  it('drop-oldest evicts the oldest queued event, counts and inspects it', async () => {
    const bus = createBus()
    const drops: InspectionEvent[] = []
    bus.inspect((e) => e.kind === 'drop' && drops.push(e))
    const g = gated()
    const sub = bus.subscribe('job', g.handler, { queue: { max: 2, strategy: 'drop-oldest' } })
    const receipts = [1, 2, 3, 4, 5].map((i) => bus.publish('job', i))
    expect(receipts.map((r) => [r.queued, r.dropped])).toEqual([[1, 0], [1, 0], [1, 1], [1, 1], [1, 1]])
    expect(drops.map((d) => d.kind === 'drop' && [d.event.data, d.reason, d.subscriptionId])).toEqual([
      [1, 'drop-oldest', sub.id],
      [2, 'drop-oldest', sub.id],
      [3, 'drop-oldest', sub.id],
    ])
    await g.releaseAll()
    expect(g.seen).toEqual([4, 5])
    expect(sub.stats()).toEqual({ received: 5, handled: 2, dropped: 3, rejected: 0, errors: 0, queued: 0, maxQueued: 2 })
    expect(bus.stats()).toMatchObject({ dropped: 3, rejected: 0 })
  })

  it('drop-newest discards the new event', async () => {
    const bus = createBus()
    const drops: unknown[] = []
    bus.inspect((e) => e.kind === 'drop' && drops.push([e.event.data, e.reason]))
    const g = gated()
    const sub = bus.subscribe('job', g.handler, { queue: { max: 2, strategy: 'drop-newest' } })
    const receipts = [1, 2, 3, 4].map((i) => bus.publish('job', i))
    expect(receipts.map((r) => [r.queued, r.dropped])).toEqual([[1, 0], [1, 0], [0, 1], [0, 1]])
    expect(drops).toEqual([[3, 'drop-newest'], [4, 'drop-newest']])
    await g.releaseAll()
    expect(g.seen).toEqual([1, 2])
    expect(sub.stats()).toMatchObject({ received: 4, handled: 2, dropped: 2, queued: 0 })
    expect(bus.stats().dropped).toBe(2)
  })

  it('the queue bound counts waiting events, not the ones being handled', async () => {
    const bus = createBus()
    const g = gated()
    const sub = bus.subscribe('job', g.handler, { queue: { max: 2, strategy: 'drop-newest' } })
    bus.publish('job', 1)
    await tick() // 1 is now running
    bus.publish('job', 2)
    bus.publish('job', 3)
    bus.publish('job', 4) // dropped: 2 and 3 wait
    expect(sub.stats()).toMatchObject({ queued: 2, dropped: 1 })
    await g.releaseAll()
    expect(g.seen).toEqual([1, 2, 3])
  })

  it('reject: publish throws QueueFullError after delivering to every other subscriber', async () => {
    const bus = createBus()
    const rejects: unknown[] = []
    bus.inspect((e) => e.kind === 'reject' && rejects.push([e.event.data, e.reason]))
    const g = gated()
    const sub = bus.subscribe('job', g.handler, { queue: { max: 2, strategy: 'reject' } })
    const others: unknown[] = []
    bus.subscribe('job', (e) => others.push(e.data), { priority: -1 })
    bus.publish('job', 1)
    bus.publish('job', 2)
    let thrown: unknown
    try {
      bus.publish('job', 3)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(QueueFullError)
    expect(thrown).toMatchObject({ name: 'QueueFullError', type: 'job', subscriptionIds: [sub.id], max: 2 })
    expect(others).toEqual([1, 2, 3])
    expect(rejects).toEqual([[3, 'queue full']])
    await g.releaseAll()
    expect(g.seen).toEqual([1, 2])
    expect(sub.stats()).toMatchObject({ received: 3, handled: 2, rejected: 1, dropped: 0 })
    expect(bus.stats()).toMatchObject({ rejected: 1, dropped: 0 })
  })
})

describe("queued subscriptions: 'block'", () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sync publish treats a full block queue as reject', () => {
    const bus = createBus()
    const rejects: unknown[] = []
    bus.inspect((e) => e.kind === 'reject' && rejects.push(e.event.data))
    const sub = bus.subscribe('job', () => new Promise(() => {}), { queue: { max: 1, strategy: 'block' } })
    bus.publish('job', 1)
    expect(() => bus.publish('job', 2)).toThrow(QueueFullError)
    expect(rejects).toEqual([2])
    expect(sub.stats()).toMatchObject({ received: 2, rejected: 1, queued: 1 })
    expect(bus.stats().rejected).toBe(1)
  })

  it('publishAsync waits for room and keeps the order', async () => {
    const bus = createBus()
    const g = gated()
    const sub = bus.subscribe('job', g.handler, { queue: { max: 1, strategy: 'block', blockTimeoutMs: 1000 } })
    await bus.publishAsync('job', 1)
    await tick() // 1 is running
    await bus.publishAsync('job', 2) // waits in the queue
    let third: unknown
    const p = bus.publishAsync('job', 3).then((r) => (third = r))
    await tick()
    expect(third).toBeUndefined()
    // Sync publishes cannot overtake a waiting publishAsync.
    expect(() => bus.publish('job', 4)).toThrow(QueueFullError)
    g.gates.shift()!() // 1 done: 2 starts, 3 takes the free slot
    await p
    expect(third).toMatchObject({ queued: 1, rejected: 0 })
    await g.releaseAll()
    expect(g.seen).toEqual([1, 2, 3])
    expect(sub.stats()).toMatchObject({ received: 4, handled: 3, rejected: 1 })
  })

  it('publishAsync rejects with QueueFullError after blockTimeoutMs', async () => {
    const bus = createBus()
    const rejects: unknown[] = []
    bus.inspect((e) => e.kind === 'reject' && rejects.push([e.event.data, e.reason]))
    const sub = bus.subscribe('job', () => new Promise(() => {}), { queue: { max: 1, strategy: 'block', blockTimeoutMs: 500 } })
    await bus.publishAsync('job', 1)
    await tick()
    await bus.publishAsync('job', 2)
    let err: unknown
    const p = bus.publishAsync('job', 3).catch((e: unknown) => (err = e))
    await vi.advanceTimersByTimeAsync(499)
    expect(err).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await p
    expect(err).toBeInstanceOf(QueueFullError)
    expect(err).toMatchObject({ subscriptionIds: [sub.id], max: 1 })
    expect((err as Error).message).toContain('block timed out')
    expect(rejects).toEqual([[3, 'block timed out after 500 ms']])
    expect(sub.stats()).toMatchObject({ received: 3, rejected: 1, queued: 1 })
    expect(bus.stats().rejected).toBe(1)
  })
})

describe('queued subscriptions: timeout, retry, once', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('timeoutMs aborts ctx.signal and fails the attempt with TimeoutError; the queue moves on', async () => {
    const bus = createBus()
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    const signals: AbortSignal[] = []
    const done: unknown[] = []
    const sub = bus.subscribe('job', async (e, ctx) => {
      signals.push(ctx.signal)
      if (e.data === 'slow') await new Promise(() => {})
      done.push(e.data)
    }, { queue: { max: 10, strategy: 'reject' }, timeoutMs: 100, label: 'slowpoke' })
    bus.publish('job', 'slow')
    bus.publish('job', 'fast')
    await vi.advanceTimersByTimeAsync(99)
    expect(failures).toHaveLength(0)
    expect(done).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(failures).toHaveLength(1)
    expect(failures[0]!.error).toBeInstanceOf(TimeoutError)
    expect(failures[0]).toMatchObject({ subscriptionId: sub.id, label: 'slowpoke', attempts: 1 })
    expect(signals[0]!.aborted).toBe(true)
    expect(signals[0]!.reason).toBe(failures[0]!.error)
    expect(done).toEqual(['fast'])
    expect(signals[1]!.aborted).toBe(false)
    expect(sub.stats()).toMatchObject({ received: 2, handled: 1, errors: 1 })
  })

  it('retries with exponential backoff and passes the attempt number', async () => {
    const bus = createBus()
    const attempts: Array<[number, number]> = []
    const failures: HandlerFailure[] = []
    const errorKinds: unknown[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    bus.inspect((e) => e.kind === 'error' && errorKinds.push([e.attempt, e.final]))
    const sub = bus.subscribe('job', (_e, ctx) => {
      attempts.push([ctx.attempt, Date.now()])
      if (ctx.attempt < 3) throw new Error(`fail ${ctx.attempt}`)
      return 'ok'
    }, { queue: { max: 10, strategy: 'reject' }, retry: { attempts: 3, backoffMs: 100, factor: 2 } })
    const t0 = Date.now()
    bus.publish('job')
    await tick()
    expect(attempts.map(([a]) => a)).toEqual([1])
    await vi.advanceTimersByTimeAsync(99)
    expect(attempts).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(attempts).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(199)
    expect(attempts).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(attempts.map(([a, t]) => [a, t - t0])).toEqual([[1, 0], [2, 100], [3, 300]])
    expect(failures).toHaveLength(0)
    expect(errorKinds).toEqual([[1, false], [2, false]])
    expect(sub.stats()).toMatchObject({ handled: 1, errors: 0 })
  })

  it('after the last attempt the failure goes to errors$ and $tidings.error with attempts', async () => {
    const bus = createBus()
    const failures: HandlerFailure[] = []
    const errorEvents: TidingsEvent[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    bus.subscribe(ERROR_TOPIC, (e) => errorEvents.push(e))
    const sub = bus.subscribe('job', () => {
      throw new RangeError('nope')
    }, { queue: { max: 10, strategy: 'reject' }, retry: { attempts: 3, backoffMs: 10 }, label: 'flaky' })
    const r = bus.publish('job', 7)
    await vi.advanceTimersByTimeAsync(10 + 20)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ subscriptionId: sub.id, label: 'flaky', attempts: 3, event: { id: r.id, data: 7 } })
    expect(failures[0]!.error).toBeInstanceOf(RangeError)
    expect(errorEvents.map((e) => e.data)).toEqual([
      { name: 'RangeError', message: 'nope', eventId: r.id, eventType: 'job', subscriptionId: sub.id, attempts: 3, label: 'flaky' },
    ])
    expect(sub.stats()).toMatchObject({ received: 1, handled: 0, errors: 1 })
    expect(bus.stats().errors).toBe(1)
  })

  it('retries of one event finish before the next event starts (concurrency 1)', async () => {
    const bus = createBus()
    const log: string[] = []
    bus.subscribe('job', (e, ctx) => {
      log.push(`${String(e.data)}#${ctx.attempt}`)
      if (e.data === 'a' && ctx.attempt < 2) throw new Error('again')
    }, { queue: { max: 10, strategy: 'reject' }, retry: { attempts: 2, backoffMs: 50 } })
    bus.publish('job', 'a')
    bus.publish('job', 'b')
    await vi.advanceTimersByTimeAsync(50)
    expect(log).toEqual(['a#1', 'a#2', 'b#1'])
  })

  it('once: handles one event, then the subscription ends', async () => {
    const bus = createBus()
    const seen: unknown[] = []
    const sub = bus.subscribe('job', (e) => void seen.push(e.data), { queue: { max: 10, strategy: 'reject' }, once: true })
    const r1 = bus.publish('job', 1)
    const r2 = bus.publish('job', 2)
    expect([r1.queued, r2.queued]).toEqual([1, 0])
    await tick()
    expect(seen).toEqual([1])
    expect(sub.active).toBe(false)
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('unsubscribe aborts the running handler and counts still-queued events as dropped', async () => {
    const bus = createBus()
    const drops: unknown[] = []
    bus.inspect((e) => e.kind === 'drop' && drops.push([e.event.data, e.reason]))
    let signal: AbortSignal | undefined
    const sub = bus.subscribe('job', (_e, ctx: HandlerContext) => {
      signal = ctx.signal
      return new Promise(() => {})
    }, { queue: { max: 10, strategy: 'reject' } })
    for (let i = 1; i <= 4; i++) bus.publish('job', i)
    await tick()
    sub.unsubscribe()
    expect(signal?.aborted).toBe(true)
    expect(drops).toEqual([[2, 'shutdown'], [3, 'shutdown'], [4, 'shutdown']])
    expect(sub.stats()).toMatchObject({ received: 4, dropped: 3, queued: 0 })
    expect(bus.stats().dropped).toBe(3)
  })

  it('a throwing failure reporter (full reject queue on $tidings.error) does not stall the worker', async () => {
    const bus = createBus()
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    bus.subscribe(ERROR_TOPIC, () => new Promise(() => {}), { queue: { max: 1, strategy: 'reject' } })
    const seen: unknown[] = []
    const sub = bus.subscribe('job', (e) => {
      seen.push(e.data)
      if (e.data !== 'ok') throw new Error('bad')
    }, { queue: { max: 10, strategy: 'reject' } })
    for (const d of ['bad1', 'bad2', 'bad3', 'ok']) bus.publish('job', d)
    await vi.advanceTimersByTimeAsync(0)
    expect(seen).toEqual(['bad1', 'bad2', 'bad3', 'ok'])
    expect(sub.stats()).toMatchObject({ handled: 1, errors: 3 })
    expect(spy).toHaveBeenCalled()
    spy.mockRestore()
  })
})
