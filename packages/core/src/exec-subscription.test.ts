// retry and timeoutMs on handlers without a queue: the first attempt still runs inside publish.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBus, TimeoutError, type HandlerFailure, type TidingsEvent } from './index.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('unqueued handlers with retry / timeoutMs', () => {
  it('a plain handler still runs synchronously inside publish', () => {
    const bus = createBus()
    const seen: unknown[] = []
    bus.subscribe('a', (e) => seen.push(e.data))
    const r = bus.publish('a', 1)
    expect(seen).toEqual([1])
    expect(r).toMatchObject({ delivered: 1, queued: 0 })
  })

  it('retry: the first attempt runs in publish, retries run later after the backoff', async () => {
    const bus = createBus()
    const log: string[] = []
    const sub = bus.subscribe('a', (_e, ctx) => {
      log.push(`attempt ${ctx.attempt} at ${Date.now() - t0}`)
      if (ctx.attempt < 3) throw new Error('not yet')
    }, { retry: { attempts: 3, backoffMs: 20, factor: 3 } })
    const t0 = Date.now()
    const r = bus.publish('a')
    log.push('publish returned')
    expect(r).toMatchObject({ delivered: 1, queued: 0 })
    await vi.advanceTimersByTimeAsync(100)
    expect(log).toEqual(['attempt 1 at 0', 'publish returned', 'attempt 2 at 20', 'attempt 3 at 80'])
    expect(sub.stats()).toMatchObject({ received: 1, handled: 1, errors: 0 })
    expect(bus.subscriptions()[0]).toMatchObject({ kind: 'handler' })
  })

  it('retries async failures too, and reports the final one with attempts', async () => {
    const bus = createBus()
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    let calls = 0
    bus.subscribe('a', async () => {
      calls++
      throw new Error(`async ${calls}`)
    }, { retry: { attempts: 2, backoffMs: 5 } })
    bus.publish('a')
    await vi.advanceTimersByTimeAsync(5)
    expect(calls).toBe(2)
    expect(failures.map((f) => [f.error.message, f.attempts])).toEqual([['async 2', 2]])
  })

  it('timeoutMs: an async handler that does not settle fails with TimeoutError and its signal aborts', async () => {
    const bus = createBus()
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    let signal: AbortSignal | undefined
    const sub = bus.subscribe('a', (_e, ctx) => {
      signal = ctx.signal
      return new Promise(() => {})
    }, { timeoutMs: 250 })
    bus.publish('a')
    expect(signal).toBeDefined()
    await vi.advanceTimersByTimeAsync(249)
    expect(signal!.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(signal!.aborted).toBe(true)
    expect(failures).toHaveLength(1)
    expect(failures[0]!.error).toBeInstanceOf(TimeoutError)
    expect(failures[0]!.error.message).toBe(`Handler ${sub.id} for "a" timed out after 250 ms. Raise timeoutMs or check that the handler finishes.`)
    expect(sub.stats()).toMatchObject({ handled: 0, errors: 1 })
  })

  it('timeout + retry: every attempt gets its own signal and deadline', async () => {
    const bus = createBus()
    const signals: AbortSignal[] = []
    const sub = bus.subscribe('a', (_e, ctx) => {
      signals.push(ctx.signal)
      return ctx.attempt === 1 ? new Promise(() => {}) : 'second time lucky'
    }, { timeoutMs: 100, retry: { attempts: 2, backoffMs: 10 } })
    bus.publish('a')
    await vi.advanceTimersByTimeAsync(110)
    expect(signals).toHaveLength(2)
    expect(signals.map((s) => s.aborted)).toEqual([true, false])
    expect(sub.stats()).toMatchObject({ handled: 1, errors: 0 })
  })

  it('once with retry: keeps retrying its one event, ignores later ones, then ends', async () => {
    const bus = createBus()
    const seen: string[] = []
    const sub = bus.subscribe('a', (e, ctx) => {
      seen.push(`${String(e.data)}#${ctx.attempt}`)
      if (ctx.attempt === 1) throw new Error('again')
    }, { once: true, retry: { attempts: 2, backoffMs: 10 } })
    bus.publish('a', 'first')
    const r = bus.publish('a', 'second')
    expect(r.delivered).toBe(0)
    expect(sub.active).toBe(true)
    await vi.advanceTimersByTimeAsync(10)
    expect(seen).toEqual(['first#1', 'first#2'])
    expect(sub.active).toBe(false)
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('unsubscribing during a backoff makes the last failure final (never silently lost)', async () => {
    const bus = createBus()
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    let calls = 0
    const sub = bus.subscribe('a', () => {
      calls++
      throw new Error('down')
    }, { retry: { attempts: 5, backoffMs: 1000 } })
    bus.publish('a')
    sub.unsubscribe()
    await vi.advanceTimersByTimeAsync(5000)
    expect(calls).toBe(1)
    expect(failures.map((f) => [f.error.message, f.attempts])).toEqual([['down', 1]])
    expect(sub.stats()).toMatchObject({ errors: 1 })
  })

  it('emits deliver and error inspections per attempt', async () => {
    const bus = createBus()
    const kinds: string[] = []
    bus.inspect((e) => {
      if (e.kind === 'deliver' || e.kind === 'error') kinds.push(`${e.kind}:${e.attempt}${e.kind === 'error' ? (e.final ? ':final' : '') : ''}`)
    })
    bus.subscribe('a', () => {
      throw new Error('x')
    }, { retry: { attempts: 2 } })
    bus.publish('a')
    await vi.advanceTimersByTimeAsync(0)
    expect(kinds).toEqual(['deliver:1', 'error:1', 'deliver:2', 'error:2:final'])
  })

  it('ctx.publish keeps the correlationId and sets causationId', () => {
    const bus = createBus()
    const seen: TidingsEvent[] = []
    bus.subscribe('order.placed', (e, ctx) => {
      ctx.publish('order.billed', { for: e.data })
    }, { retry: { attempts: 2 } })
    bus.subscribe('order.billed', (e, ctx) => {
      seen.push(e)
      ctx.publish({ type: 'order.shipped', data: 1 })
    })
    bus.subscribe('order.shipped', (e) => seen.push(e))
    const r = bus.publish('order.placed', 'o1', { correlationId: 'corr-9' })
    expect(seen.map((e) => [e.type, e.correlationId, e.causationId])).toEqual([
      ['order.billed', 'corr-9', r.id],
      ['order.shipped', 'corr-9', seen[0]!.id],
    ])
    expect(seen[0]!.data).toEqual({ for: 'o1' })
  })
})
