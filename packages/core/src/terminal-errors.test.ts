// Terminal errors are never retried: a handler failure whose thrown value has an own
// `retryable: false` (BusClosedError, the worker pool's terminal errors, any app error marked so)
// ends the retry loop at its first attempt.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BusClosedError, createBus, isRetryable, TidingsError, type HandlerFailure, type InspectionEvent } from './index.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

/** An app error marked terminal the way the worker pool marks its own. */
class GoneError extends TidingsError {
  override name = 'GoneError'
  readonly retryable = false
}

function failedAttempts(bus: ReturnType<typeof createBus>): Array<[number, boolean, string]> {
  const seen: Array<[number, boolean, string]> = []
  bus.inspect((e: InspectionEvent) => {
    if (e.kind === 'error') seen.push([e.attempt, e.final, e.error.name])
  })
  return seen
}

describe('isRetryable', () => {
  it('is false only for an object with an OWN retryable === false', () => {
    expect(isRetryable(new Error('x'))).toBe(true)
    expect(isRetryable({ retryable: false })).toBe(false)
    expect(isRetryable(Object.assign(new Error('x'), { retryable: false }))).toBe(false)
    expect(isRetryable(new GoneError('gone'))).toBe(false)
    expect(isRetryable({ retryable: true })).toBe(true)
    expect(isRetryable({ retryable: 0 })).toBe(true)
    expect(isRetryable({ retryable: 'false' })).toBe(true)
    // Inherited, not own: retryable.
    expect(isRetryable(Object.create({ retryable: false }))).toBe(true)
    for (const v of [undefined, null, 0, 'retryable', false, Symbol('s')]) expect(isRetryable(v)).toBe(true)
  })

  it('a getter returning false counts; a throwing getter or a throwing proxy means retryable', () => {
    expect(isRetryable(Object.defineProperty({}, 'retryable', { get: () => false }))).toBe(false)
    expect(isRetryable(Object.defineProperty({}, 'retryable', { get: () => { throw new Error('no reading') } }))).toBe(true)
    const hostile = new Proxy({}, { getOwnPropertyDescriptor: () => { throw new Error('trap') } })
    expect(isRetryable(hostile)).toBe(true)
  })

  it('BusClosedError carries an own, enumerable retryable: false', () => {
    const err = new BusClosedError('b')
    expect(err.retryable).toBe(false)
    expect(Object.getOwnPropertyDescriptor(err, 'retryable')).toMatchObject({ value: false, enumerable: true })
    expect(isRetryable(err)).toBe(false)
  })
})

describe('the retry loop ends at a terminal error', () => {
  it('an unqueued handler with retry { attempts: 5 } is attempted once for an error marked retryable: false', async () => {
    const bus = createBus()
    const errors = failedAttempts(bus)
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    let calls = 0
    const sub = bus.subscribe('job.run', () => {
      calls++
      throw new GoneError('the resource is gone')
    }, { retry: { attempts: 5, backoffMs: 10 } })
    bus.publish('job.run')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(calls).toBe(1)
    expect(errors).toEqual([[1, true, 'GoneError']])
    expect(failures.map((f) => [f.error.message, f.attempts])).toEqual([['the resource is gone', 1]])
    expect(sub.stats()).toMatchObject({ received: 1, handled: 0, errors: 1 })
    expect(bus.stats().errors).toBe(1)
  })

  it('a thrown plain object { retryable: false } is terminal too (checked before it becomes an Error)', async () => {
    const bus = createBus()
    const errors = failedAttempts(bus)
    let calls = 0
    bus.subscribe('job.run', async () => {
      calls++
      throw { name: 'Gone', message: 'plain object', retryable: false }
    }, { queue: { max: 10, strategy: 'reject' }, retry: { attempts: 5, backoffMs: 10 } })
    const pending = bus.dispatch('job.run')
    await vi.advanceTimersByTimeAsync(10_000)
    const res = await pending
    expect(calls).toBe(1)
    expect(errors).toEqual([[1, true, 'Gone']])
    expect(res.results).toHaveLength(1)
    expect(res.results[0]).toMatchObject({ ok: false, attempts: 1 })
    expect(res.results[0]!.error!.message).toBe('plain object')
  })

  it('the same handler failing with retryable errors is attempted all 5 times (the control case)', async () => {
    const bus = createBus()
    const errors = failedAttempts(bus)
    let calls = 0
    bus.subscribe('job.run', () => {
      calls++
      throw Object.assign(new Error(`try ${calls}`), { retryable: true })
    }, { retry: { attempts: 5, backoffMs: 10 } })
    const res = bus.dispatch('job.run')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(calls).toBe(5)
    expect(errors).toEqual([[1, false, 'Error'], [2, false, 'Error'], [3, false, 'Error'], [4, false, 'Error'], [5, true, 'Error']])
    expect((await res).results[0]).toMatchObject({ ok: false, attempts: 5 })
  })

  it('a retryable failure followed by a terminal one stops at the terminal one', async () => {
    const bus = createBus()
    const errors = failedAttempts(bus)
    let calls = 0
    bus.subscribe('job.run', () => {
      calls++
      throw calls === 1 ? new Error('busy') : new GoneError('gone')
    }, { retry: { attempts: 5, backoffMs: 10 } })
    bus.publish('job.run')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(calls).toBe(2)
    expect(errors).toEqual([[1, false, 'Error'], [2, true, 'GoneError']])
  })

  it('BusClosedError thrown inside a handler after shutdown (ctx.publish while draining) is not retried', async () => {
    const bus = createBus()
    const errors = failedAttempts(bus)
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    let calls = 0
    const sub = bus.subscribe('job.run', (_e, ctx) => {
      calls++
      ctx.publish('job.followup')
    }, { queue: { max: 10, strategy: 'reject' }, retry: { attempts: 5, backoffMs: 10 } })
    bus.publish('job.run')
    // The queued handler runs after shutdown() closed the bus, while it drains the queue.
    const done = bus.shutdown({ drainTimeoutMs: 60_000 })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(await done).toEqual({ drained: 1, undelivered: 0 })
    expect(calls).toBe(1)
    expect(errors).toEqual([[1, true, 'BusClosedError']])
    expect(failures).toHaveLength(1)
    expect(failures[0]!.error).toBeInstanceOf(BusClosedError)
    expect(failures[0]!.attempts).toBe(1)
    expect(sub.stats()).toMatchObject({ received: 1, handled: 0, errors: 1 })
  })
})
