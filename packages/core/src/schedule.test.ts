import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBus, InvalidOptionError, InvalidTopicError, type TidingsEvent } from './index.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

function recorder(bus: ReturnType<typeof createBus>, topic: string) {
  const t0 = Date.now()
  const at: Array<[number, unknown]> = []
  bus.subscribe(topic, (e: TidingsEvent) => at.push([Date.now() - t0, e.data]))
  return at
}

describe('schedule', () => {
  it('delayMs publishes once after the delay', async () => {
    const bus = createBus()
    const at = recorder(bus, 'cleanup.start')
    const s = bus.schedule('cleanup.start', { full: true }, { delayMs: 5000 })
    expect(s.active).toBe(true)
    await vi.advanceTimersByTimeAsync(4999)
    expect(at).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(at).toEqual([[5000, { full: true }]])
    expect(s.active).toBe(false)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(at).toHaveLength(1)
  })

  it('everyMs repeats (first tick after everyMs) and times bounds the count', async () => {
    const bus = createBus()
    const at = recorder(bus, 'health.check')
    const s = bus.schedule('health.check', 'ping', { everyMs: 1000, times: 3, correlationId: 'hc' })
    let corr: string | undefined
    bus.subscribe('health.check', (e) => (corr = e.correlationId))
    await vi.advanceTimersByTimeAsync(10_000)
    expect(at).toEqual([[1000, 'ping'], [2000, 'ping'], [3000, 'ping']])
    expect(corr).toBe('hc')
    expect(s.active).toBe(false)
  })

  it('delayMs with everyMs: first tick after delayMs, then every everyMs until cancel()', async () => {
    const bus = createBus()
    const at = recorder(bus, 'tick')
    const s = bus.schedule('tick', null, { delayMs: 0, everyMs: 250 })
    await vi.advanceTimersByTimeAsync(600)
    s.cancel()
    expect(s.active).toBe(false)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(at.map(([t]) => t)).toEqual([0, 250, 500])
    s.cancel() // idempotent
  })

  it('is cancelled on shutdown and leaves no timer behind', async () => {
    const bus = createBus()
    const at = recorder(bus, 'tick')
    const s = bus.schedule('tick', 1, { everyMs: 100 })
    await vi.advanceTimersByTimeAsync(100)
    await bus.shutdown()
    expect(s.active).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
    expect(at).toHaveLength(1)
  })

  it('checks its input up front', () => {
    const bus = createBus()
    expect(() => bus.schedule('bad..topic', 1, { delayMs: 1 })).toThrow(InvalidTopicError)
    expect(() => bus.schedule('t', 1, { everyMs: 0 })).toThrow(InvalidOptionError)
    expect(() => bus.schedule('t', 1, { delayMs: -5 })).toThrow('delayMs')
    expect(() => bus.schedule('t', 1, { times: 3 })).toThrow('everyMs as well')
    expect(() => bus.schedule('t', 1, { everyMs: 10, times: 1.5 })).toThrow('times')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a full reject queue at tick time never throws out of the timer', async () => {
    const bus = createBus()
    const sub = bus.subscribe('tick', () => new Promise(() => {}), { queue: { max: 1, strategy: 'reject' } })
    bus.schedule('tick', 1, { everyMs: 10, times: 4 })
    await vi.advanceTimersByTimeAsync(40)
    expect(sub.stats()).toMatchObject({ received: 4, rejected: 2, queued: 1 })
    expect(bus.stats().rejected).toBe(2)
  })
})
