// pool.handler() as a real bus handler: queued subscriptions, retry, priority, timeouts,
// dispatch results and request/reply, against module workers in Chromium.
import { afterEach, describe, expect, it } from 'vitest'
import { createBus } from '@tidings/core'
import { createWorkerPool, WorkerCrashedError, type WorkerPool, type WorkerPoolOptions } from './index.js'

const pools: WorkerPool[] = []
afterEach(() => {
  for (const p of pools.splice(0)) p.terminate()
})

function makePool(opts: WorkerPoolOptions = {}): WorkerPool {
  const pool = createWorkerPool(() => new Worker(new URL('./test-fixtures/pool-worker.ts', import.meta.url), { type: 'module' }), {
    size: 2,
    timeoutMs: 5000,
    ...opts,
  })
  pools.push(pool)
  return pool
}

describe('pool.handler with the bus', () => {
  it('returns results to dispatch, highest priority first in the results', async () => {
    const pool = makePool()
    const bus = createBus()
    const low = bus.subscribe('math.double', pool.handler('double'), { label: 'low' })
    const high = bus.subscribe('math.double', pool.handler('echo'), { priority: 10, label: 'high' })
    const res = await bus.dispatch('math.double', { n: 21 }, { timeoutMs: 10_000 })
    expect(res.ok).toBe(true)
    expect(res.results.map((r) => [r.subscriptionId, r.ok, r.attempts])).toEqual([
      [high.id, true, 1],
      [low.id, true, 1],
    ])
    expect(res.results[0]!.value).toMatchObject({ type: 'math.double', data: { n: 21 }, attempt: 1, subscriptionId: high.id })
    expect(res.results[1]!.value).toBe(42)
  })

  it('answers request() through reply()', async () => {
    const pool = makePool()
    const bus = createBus()
    bus.reply('math.double', pool.handler('double'))
    expect(await bus.request('math.double', { n: 8 })).toBe(16)
    const err = (await bus.request('math.double.throw', { n: 1 }).catch((e: unknown) => e)) as Error
    expect(err.name).toBe('NoResponderError')
    bus.reply('math.bad', pool.handler('throws'))
    const remote = await bus.request('math.bad', { n: 3 }).catch((e: unknown) => e as Error)
    expect(remote).toMatchObject({ name: 'RemoteError', remoteName: 'RangeError', remoteMessage: 'bad value 3' })
  })

  it('a crash is retried per the subscription policy; the retry runs in a fresh worker', async () => {
    const pool = makePool({ size: 1 })
    const bus = createBus()
    bus.subscribe('job.crashy', pool.handler('crashFirst'), { retry: { attempts: 2, backoffMs: 10 } })
    const res = await bus.dispatch('job.crashy', {}, { timeoutMs: 10_000 })
    expect(res.ok).toBe(true)
    expect(res.results[0]).toMatchObject({ ok: true, value: 'ok on attempt 2', attempts: 2 })
    expect(pool.stats()).toMatchObject({ crashes: 1, restarts: 1 })
  })

  it('without retry the dispatch result carries WorkerCrashedError, and bus.errors$ reports it', async () => {
    const pool = makePool({ size: 1 })
    const bus = createBus()
    const failures: string[] = []
    bus.errors$.subscribe((f) => failures.push(`${f.error.name}:${f.event.type}`))
    bus.subscribe('job.exit', pool.handler('exitSelf'))
    const res = await bus.dispatch('job.exit', {}, { timeoutMs: 10_000 })
    expect(res.ok).toBe(false)
    expect(res.results[0]!.error).toBeInstanceOf(WorkerCrashedError)
    expect(failures).toEqual(['WorkerCrashedError:job.exit'])
  })

  it('a hang fails every attempt with TimeoutError and each hung worker is replaced', async () => {
    const pool = makePool({ size: 1, timeoutMs: 200 })
    const bus = createBus()
    bus.subscribe('job.hang', pool.handler('hang'), { retry: { attempts: 2, backoffMs: 0 } })
    const res = await bus.dispatch('job.hang', {}, { timeoutMs: 20_000 })
    expect(res.results[0]).toMatchObject({ ok: false, attempts: 2 })
    expect(res.results[0]!.error!.name).toBe('TimeoutError')
    expect(pool.stats()).toMatchObject({ timeouts: 2, restarts: 2 })
    expect(await pool.call('double', { id: 'a:1', type: 'a', timestamp: 0, version: 1, data: { n: 1 }, origin: 'a', seq: 1 })).toBe(2)
  })

  it("the subscription's timeoutMs aborts ctx.signal inside the worker", async () => {
    const pool = makePool({ size: 1 })
    // Warm: a call still waiting for its worker to start is simply dropped from the queue on abort.
    expect(await pool.call('double', { id: 'a:1', type: 'a', timestamp: 0, version: 1, data: { n: 1 }, origin: 'a', seq: 1 })).toBe(2)
    const bus = createBus()
    bus.subscribe('job.slow', pool.handler('slow'), { timeoutMs: 150 })
    const res = await bus.dispatch('job.slow', { ms: 10_000, tag: 'sub-timeout' }, { timeoutMs: 10_000 })
    expect(res.results[0]!.ok).toBe(false)
    expect(res.results[0]!.error!.name).toBe('TimeoutError')
    await expect.poll(() => pool.call('aborted', { id: 'a:2', type: 'a', timestamp: 0, version: 1, data: {}, origin: 'a', seq: 2 })).toEqual(['sub-timeout'])
  })

  it('feeds a queued subscription with concurrency: every event handled once, in parallel workers', async () => {
    const pool = makePool({ size: 2 })
    const bus = createBus()
    const values: number[] = []
    const sub = bus.subscribe(
      'job.batch',
      (e, ctx) => pool.handler<number>('double')(e, ctx).then((v) => void values.push(v)),
      { queue: { max: 100, strategy: 'reject' }, concurrency: 2 },
    )
    for (let n = 0; n < 20; n++) bus.publish('job.batch', { n })
    await expect.poll(() => sub.stats().handled, { timeout: 15_000 }).toBe(20)
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n * 2))
    expect(sub.stats()).toMatchObject({ received: 20, errors: 0, dropped: 0, rejected: 0 })
    expect(pool.stats()).toMatchObject({ spawned: 2, completed: 20 })
  })
})
