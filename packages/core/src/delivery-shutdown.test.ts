// shutdown({ drainTimeoutMs }) with queued subscriptions: drain, then complete; nothing lost
// silently.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BusClosedError, createBus, type HandlerContext } from './index.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('shutdown with queues', () => {
  it('drains queued events before completing errors$ and observables', async () => {
    const bus = createBus()
    const order: string[] = []
    bus.errors$.subscribe({ complete: () => order.push('errors$ complete') })
    bus.on('job').subscribe({ complete: () => order.push('on() complete') })
    bus.subscribe('job', async (e) => {
      await new Promise((r) => setTimeout(r, 10))
      order.push(`handled ${String(e.data)}`)
    }, { queue: { max: 10, strategy: 'reject' } })
    for (let i = 0; i < 3; i++) bus.publish('job', i)
    const s = bus.shutdown({ drainTimeoutMs: 1000 })
    expect(() => bus.publish('job', 99)).toThrow(BusClosedError)
    await vi.advanceTimersByTimeAsync(30)
    expect(await s).toEqual({ drained: 3, undelivered: 0 })
    expect(order).toEqual(['handled 0', 'handled 1', 'handled 2', 'on() complete', 'errors$ complete'])
  })

  it('at the deadline, queued and running events are counted undelivered and reported', async () => {
    const bus = createBus()
    const drops: unknown[] = []
    bus.inspect((e) => e.kind === 'drop' && drops.push([e.event.data, e.reason]))
    const signals: AbortSignal[] = []
    let handled = 0
    const sub = bus.subscribe('job', async (_e, ctx: HandlerContext) => {
      signals.push(ctx.signal)
      await new Promise((r) => setTimeout(r, 100))
      handled++
    }, { queue: { max: 10, strategy: 'reject' }, concurrency: 2 })
    for (let i = 0; i < 7; i++) bus.publish('job', i)
    const s = bus.shutdown({ drainTimeoutMs: 250 })
    await vi.advanceTimersByTimeAsync(250)
    const result = await s
    // 0,1 done at 100; 2,3 at 200; 4,5 running at 250; 6 still queued.
    expect(handled).toBe(4)
    expect(result).toEqual({ drained: 4, undelivered: 3 })
    expect(result.drained + result.undelivered).toBe(7)
    expect(drops).toEqual([[6, 'shutdown']])
    expect(signals.slice(4).map((x) => x.aborted)).toEqual([true, true])
    expect(sub.stats()).toMatchObject({ received: 7, handled: 4, dropped: 1, queued: 0 })
    expect(bus.stats().dropped).toBe(1)
    expect(sub.active).toBe(false)
  })

  it('waiting publishAsync calls on a block queue are refused at the deadline', async () => {
    const bus = createBus()
    const sub = bus.subscribe('job', () => new Promise(() => {}), { queue: { max: 1, strategy: 'block', blockTimeoutMs: 60_000 } })
    await bus.publishAsync('job', 1)
    await vi.advanceTimersByTimeAsync(0)
    await bus.publishAsync('job', 2)
    let err: unknown
    const p = bus.publishAsync('job', 3).catch((e: unknown) => (err = e))
    const s = bus.shutdown({ drainTimeoutMs: 50 })
    await vi.advanceTimersByTimeAsync(50)
    expect(await s).toEqual({ drained: 0, undelivered: 2 })
    await p
    expect(err).toMatchObject({ name: 'QueueFullError' })
    expect(sub.stats()).toMatchObject({ received: 3, rejected: 1, dropped: 1 })
  })

  it('a retry waiting for its backoff at the deadline becomes a final, reported failure', async () => {
    const bus = createBus()
    const failures: Array<[string, number]> = []
    bus.errors$.subscribe((f) => failures.push([f.error.message, f.attempts]))
    bus.subscribe('job', () => {
      throw new Error('down')
    }, { queue: { max: 10, strategy: 'reject' }, retry: { attempts: 5, backoffMs: 1000 } })
    bus.publish('job')
    const s = bus.shutdown({ drainTimeoutMs: 100 })
    await vi.advanceTimersByTimeAsync(100)
    expect(await s).toEqual({ drained: 0, undelivered: 1 })
    expect(failures).toEqual([['down', 1]])
  })

  it('a second shutdown resolves at once', async () => {
    const bus = createBus()
    await bus.shutdown()
    expect(await bus.shutdown()).toEqual({ drained: 0, undelivered: 0 })
  })
})
