import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { TidingsBus } from './bus.js'
import { BusClosedError, createBus, NoHandlerError, QueueFullError, TimeoutError, type Bus } from './index.js'

const pending = (bus: Bus) => (bus as unknown as TidingsBus).pendingTracked

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('dispatch', () => {
  it('waits for every handler (sync, async, queued) and returns their results in priority order', async () => {
    const bus = createBus()
    const a = bus.subscribe('calc', (e) => (e.data as number) + 1, { label: 'sync', priority: 3 })
    const b = bus.subscribe('calc', async (e) => {
      await new Promise((r) => setTimeout(r, 30))
      return (e.data as number) * 10
    }, { label: 'async', priority: 2 })
    const c = bus.subscribe('calc', (e) => `queued ${String(e.data)}`, { label: 'queued', queue: { max: 5, strategy: 'reject' }, priority: 1 })
    const observed: unknown[] = []
    bus.on('calc').subscribe((e) => observed.push(e.data))
    const inbox = bus.inbox('calc')
    let result: Awaited<ReturnType<Bus['dispatch']>> | undefined
    const p = bus.dispatch('calc', 4).then((r) => (result = r))
    await vi.advanceTimersByTimeAsync(29)
    expect(result).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await p
    expect(result!.ok).toBe(true)
    expect(result!.results.map((r) => [r.subscriptionId, r.label, r.ok, r.value, r.attempts])).toEqual([
      [a.id, 'sync', true, 5, 1],
      [b.id, 'async', true, 40, 1],
      [c.id, 'queued', true, 'queued 4', 1],
    ])
    expect(result!.results[1]!.durationMs).toBeGreaterThanOrEqual(30)
    expect(observed).toEqual([4])
    expect((await inbox.receive({ timeoutMs: 0 }))?.data).toBe(4)
    expect(pending(bus)).toBe(0)
  })

  it('includes retries, errors and attempts; ok is false when any handler failed', async () => {
    const bus = createBus()
    bus.subscribe('job', (_e, ctx) => {
      if (ctx.attempt < 2) throw new Error('flaky')
      return 'done'
    }, { retry: { attempts: 3, backoffMs: 100 }, label: 'flaky' })
    bus.subscribe('job', () => {
      throw new TypeError('broken')
    }, { label: 'broken' })
    const p = bus.dispatch('job')
    await vi.advanceTimersByTimeAsync(100)
    const r = await p
    expect(r.ok).toBe(false)
    expect(r.results.map((x) => [x.label, x.ok, x.value, x.error?.name, x.error?.message, x.attempts])).toEqual([
      ['flaky', true, 'done', undefined, undefined, 2],
      ['broken', false, undefined, 'TypeError', 'broken', 1],
    ])
    expect(r.results[0]!.durationMs).toBeGreaterThanOrEqual(100)
  })

  it('requireHandler: NoHandlerError and nothing published when no handler matches', async () => {
    const bus = createBus()
    bus.on('nobody').subscribe(() => {})
    bus.inbox('nobody')
    await expect(bus.dispatch('nobody', 1, { requireHandler: true })).rejects.toBeInstanceOf(NoHandlerError)
    await expect(bus.dispatch('nobody', 1, { requireHandler: true })).rejects.toThrow('No handler subscribed to "nobody"')
    expect(bus.stats().published).toBe(0)
    const r = await bus.dispatch('nobody', 1)
    expect(r).toEqual({ id: r.id, ok: true, results: [] })
    expect(bus.stats().published).toBe(1)
  })

  it('timeoutMs: unfinished handlers get a TimeoutError result, the others keep theirs', async () => {
    const bus = createBus()
    bus.subscribe('job', () => 'quick', { label: 'quick' })
    bus.subscribe('job', () => new Promise(() => {}), { label: 'hang' })
    let r: Awaited<ReturnType<Bus['dispatch']>> | undefined
    const p = bus.dispatch('job', undefined, { timeoutMs: 200 }).then((x) => (r = x))
    await vi.advanceTimersByTimeAsync(199)
    expect(r).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await p
    expect(r!.ok).toBe(false)
    expect(r!.results.map((x) => [x.label, x.ok, x.value])).toEqual([['quick', true, 'quick'], ['hang', false, undefined]])
    expect(r!.results[1]!.error).toBeInstanceOf(TimeoutError)
    expect(pending(bus)).toBe(0)
  })

  it('a full queue is that handler failed result (attempts 0), not a thrown error', async () => {
    const bus = createBus()
    const gate = new Promise<void>(() => {})
    bus.subscribe('job', () => gate, { queue: { max: 1, strategy: 'reject' }, label: 'rejecting' })
    bus.subscribe('job', () => gate, { queue: { max: 1, strategy: 'drop-newest' }, label: 'dropping' })
    bus.publish('job', 1)
    await vi.advanceTimersByTimeAsync(0)
    bus.publish('job', 2)
    const r = await bus.dispatch('job', 3, { timeoutMs: 1000 })
    expect(r.results.map((x) => [x.label, x.ok, x.attempts, x.error?.name])).toEqual([
      ['rejecting', false, 0, 'QueueFullError'],
      ['dropping', false, 0, 'QueueFullError'],
    ])
    expect(r.results[0]!.error).toBeInstanceOf(QueueFullError)
  })

  it('a drop-oldest eviction settles the evicted dispatch', async () => {
    const bus = createBus()
    const gate = new Promise<void>(() => {})
    bus.subscribe('job', () => gate, { queue: { max: 1, strategy: 'drop-oldest' } })
    bus.publish('job', 1)
    await vi.advanceTimersByTimeAsync(0) // 1 runs (forever)
    const first = bus.dispatch('job', 2) // waits in the queue
    bus.publish('job', 3) // evicts 2
    const r = await first
    expect(r.results.map((x) => [x.ok, x.error?.message.includes('dropped by drop-oldest')])).toEqual([[false, true]])
  })

  it("waits for room in a 'block' queue like publishAsync", async () => {
    const bus = createBus()
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const sub = bus.subscribe('job', (e) => (e.data === 1 ? gate : `handled ${String(e.data)}`), { queue: { max: 1, strategy: 'block', blockTimeoutMs: 1000 } })
    bus.publish('job', 1)
    await vi.advanceTimersByTimeAsync(0)
    bus.publish('job', 2)
    const p = bus.dispatch('job', 3)
    release()
    const r = await p
    expect(r.results.map((x) => [x.ok, x.value])).toEqual([[true, 'handled 3']])
    expect(sub.stats()).toMatchObject({ handled: 3, rejected: 0 })
  })

  it('a dispatch still waiting at shutdown resolves with BusClosedError results', async () => {
    const bus = createBus({ name: 'closing' })
    bus.subscribe('job', () => new Promise(() => {}), { label: 'hang' })
    const p = bus.dispatch('job')
    const s = bus.shutdown({ drainTimeoutMs: 10 })
    await vi.advanceTimersByTimeAsync(10)
    await s
    const r = await p
    expect(r.ok).toBe(false)
    expect(r.results[0]!.error).toBeInstanceOf(BusClosedError)
    await expect(bus.dispatch('job')).rejects.toBeInstanceOf(BusClosedError)
  })
})
