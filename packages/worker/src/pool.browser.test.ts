// Handler offloading against real module workers in Chromium: results, errors, crashes, hangs,
// aborts, transferables and termination. Every call must settle.
import { afterEach, describe, expect, it } from 'vitest'
import { createBus, type TidingsEvent } from '@tidings/core'
import {
  createWorkerPool,
  TimeoutError,
  WorkerCrashedError,
  WorkerPoolTerminatedError,
  WorkerRestartLimitError,
  type WorkerPool,
  type WorkerPoolOptions,
} from './index.js'
import { rejection } from '../../../test-support/promises.js'

const pools: WorkerPool[] = []
const spawnTestWorker = () => new Worker(new URL('./test-fixtures/pool-worker.ts', import.meta.url), { type: 'module' })
afterEach(() => {
  for (const p of pools.splice(0)) p.terminate()
})

const workerUrl = new URL('./test-fixtures/pool-worker.ts', import.meta.url)
function makePool(opts: WorkerPoolOptions = {}): WorkerPool {
  const pool = createWorkerPool(() => new Worker(workerUrl, { type: 'module' }), { size: 1, timeoutMs: 5000, ...opts })
  pools.push(pool)
  return pool
}

let n = 0
function ev(type: string, data: unknown): TidingsEvent {
  n++
  return { id: `page:${n}`, type, timestamp: Date.now(), version: 1, data, origin: 'page', seq: n }
}

describe('createWorkerPool', () => {
  it('runs named handlers and returns their results', async () => {
    const pool = makePool({ size: 2 })
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => pool.call('double', ev('math.double', { n: i }))))
    expect(results).toEqual([2, 4, 6, 8, 10])
    const s = pool.stats()
    expect(s.spawned).toBe(2)
    expect(s.completed).toBe(5)
    expect(s.busy).toBe(0)
  })

  it('is a bus.subscribe handler: gets the envelope, attempt and subscription id', async () => {
    const pool = makePool()
    const bus = createBus()
    const results: unknown[] = []
    const sub = bus.subscribe('job.*', (e, ctx) => pool.handler('echo')(e, ctx).then((r) => results.push(r)))
    const receipt = bus.publish('job.run', { x: 1 }, { correlationId: 'c1' })
    await expect.poll(() => results.length).toBe(1)
    expect(results[0]).toEqual({ id: receipt.id, type: 'job.run', data: { x: 1 }, attempt: 1, subscriptionId: sub.id, handler: 'echo' })
  })

  it('brings back a handler error with its name and message; the worker survives', async () => {
    const pool = makePool()
    const err = await rejection(pool.call('throws', ev('x.y', { n: 7 })))
    expect(err.name).toBe('RangeError')
    expect(err.message).toBe('bad value 7')
    const str = await rejection(pool.call('throwsString', ev('x.y', {})))
    expect(str.message).toBe('plain string')
    const unknown = await rejection(pool.call('nope', ev('x.y', {})))
    expect(unknown.name).toBe('UnknownHandlerError')
    expect(unknown.message).toContain('"nope"')
    expect(unknown.message).toContain('double')
    const arg = await rejection(pool.call('echo', ev('x.y', { nested: { fn: spawnTestWorker } })))
    expect(arg).toMatchObject({ name: 'UncloneableDataError', type: 'x.y', path: 'data.nested.fn', valueKind: 'function' })
    expect(arg.message).toContain('cannot cross to the worker pool')
    const bad = await rejection(pool.call('nonCloneableResult', ev('x.y', {})))
    expect(bad.message).toMatch(/Unserializable return value/)
    expect(await pool.call('double', ev('x.y', { n: 4 }))).toBe(8)
    expect(pool.stats()).toMatchObject({ spawned: 1, crashes: 0, restarts: 0 })
  })

  it('a worker that calls self.close() fails its call with WorkerCrashedError and is replaced', async () => {
    const pool = makePool()
    const err = await rejection<WorkerCrashedError>(pool.call('exitSelf', ev('x.y', {})))
    expect(err).toBeInstanceOf(WorkerCrashedError)
    expect(err.name).toBe('WorkerCrashedError')
    expect(err.handler).toBe('exitSelf')
    expect(err.message).toContain('self.close()')
    expect(await pool.call('double', ev('x.y', { n: 21 }))).toBe(42)
    expect(pool.stats()).toMatchObject({ crashes: 1, restarts: 1, spawned: 2, workers: 1 })
  })

  it('a worker that closes without notice is detected through its life lock, before timeoutMs', async () => {
    const pool = makePool({ timeoutMs: 20_000 })
    const t0 = performance.now()
    const err = await rejection(pool.call('exitRaw', ev('x.y', {})))
    expect(err).toBeInstanceOf(WorkerCrashedError)
    expect(err.message).toContain('the worker went away')
    expect(performance.now() - t0).toBeLessThan(15_000)
    expect(await pool.call('double', ev('x.y', { n: 2 }))).toBe(4)
  })

  it('an uncaught error in a timer crashes the worker: WorkerCrashedError naming it', async () => {
    const pool = makePool()
    const queued = pool.call('double', ev('x.y', { n: 1 })) // waits behind the crashing call
    const err = await rejection(pool.call('timerCrash', ev('x.y', {})).finally(() => {}))
    expect(err).toBeInstanceOf(WorkerCrashedError)
    expect(err.message).toContain('boom in a timer')
    expect(await queued).toBe(2)
    expect(pool.stats()).toMatchObject({ crashes: 1, restarts: 1 })
  })

  it('a handler that hangs past timeoutMs: TimeoutError, worker terminated and replaced', async () => {
    const pool = makePool({ timeoutMs: 300 })
    const t0 = performance.now()
    const err = await rejection(pool.call('hang', ev('x.y', {})))
    expect(err).toBeInstanceOf(TimeoutError)
    expect(err.name).toBe('TimeoutError')
    expect(err.message).toContain('"hang"')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
    expect(await pool.call('double', ev('x.y', { n: 5 }))).toBe(10)
    expect(pool.stats()).toMatchObject({ timeouts: 1, restarts: 1, spawned: 2 })
  })

  it('times out only the hung call while other workers keep serving', async () => {
    const pool = makePool({ size: 2, timeoutMs: 400 })
    await Promise.all([pool.call('double', ev('x.y', { n: 0 })), pool.call('double', ev('x.y', { n: 0 }))]) // both warm
    const hung = rejection(pool.call('hang', ev('x.y', {})))
    const quick: number[] = []
    for (let i = 0; i < 20; i++) quick.push(await pool.call<number>('double', ev('x.y', { n: i })))
    expect(quick).toEqual(Array.from({ length: 20 }, (_, i) => i * 2))
    expect((await hung).name).toBe('TimeoutError')
    expect(pool.stats()).toMatchObject({ timeouts: 1, crashes: 0, completed: 22 })
  })

  it('stops with WorkerRestartLimitError once maxRestarts is exceeded', async () => {
    const pool = makePool({ maxRestarts: 1 })
    expect((await rejection(pool.call('exitSelf', ev('x.y', {})))).name).toBe('WorkerCrashedError')
    expect((await rejection(pool.call('exitSelf', ev('x.y', {})))).name).toBe('WorkerCrashedError')
    const err = await rejection(pool.call('double', ev('x.y', { n: 1 })))
    expect(err).toBeInstanceOf(WorkerRestartLimitError)
    expect(err.message).toContain('maxRestarts (1)')
    expect(err.message).toContain('self.close()')
    expect(pool.stats()).toMatchObject({ restarts: 2, workers: 0 })
  })

  it('a worker that fails to load exhausts maxRestarts without hanging', async () => {
    const url = new URL('./test-fixtures/pool-worker-broken.ts', import.meta.url)
    const pool = createWorkerPool(() => new Worker(url, { type: 'module' }), { size: 1, maxRestarts: 2, timeoutMs: 5000 })
    pools.push(pool)
    const err = await rejection(pool.call('double', ev('x.y', { n: 1 })))
    expect(['WorkerCrashedError', 'WorkerRestartLimitError']).toContain(err.name)
    const later = await rejection(pool.call('double', ev('x.y', { n: 1 })))
    await expect.poll(() => pool.stats().restarts, { timeout: 10_000 }).toBe(3)
    expect(['WorkerCrashedError', 'WorkerRestartLimitError']).toContain(later.name)
    expect((await rejection(pool.call('double', ev('x.y', { n: 1 })))).name).toBe('WorkerRestartLimitError')
  })

  it('a worker that never calls registerHandlers() is replaced after startTimeoutMs; waiting calls fail once the pool gives up', async () => {
    const url = new URL('./test-fixtures/hostile-worker.ts', import.meta.url)
    const pool = createWorkerPool(() => new Worker(url, { type: 'module' }), { size: 1, startTimeoutMs: 300, maxRestarts: 1 })
    pools.push(pool)
    const t0 = performance.now()
    const err = await rejection(pool.call('double', ev('x.y', { n: 1 })))
    // The call never ran: it waited through two starts (the first and one replacement).
    expect(err).toBeInstanceOf(WorkerRestartLimitError)
    expect(err.message).toContain('registerHandlers() within 300 ms')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(590)
    expect(pool.stats()).toMatchObject({ spawned: 2, crashes: 2, restarts: 2, workers: 0 })
  })

  it('terminate() rejects running and queued calls, and later ones', async () => {
    const pool = makePool()
    const running = rejection(pool.call('slow', ev('x.y', { ms: 10_000 })))
    const queued = rejection(pool.call('double', ev('x.y', { n: 1 })))
    await expect.poll(() => pool.stats().busy, { timeout: 10_000 }).toBe(1)
    pool.terminate()
    for (const err of await Promise.all([running, queued])) {
      expect(err).toBeInstanceOf(WorkerPoolTerminatedError)
    }
    expect(await rejection(pool.call('double', ev('x.y', { n: 1 })))).toBeInstanceOf(WorkerPoolTerminatedError)
    expect(pool.stats()).toMatchObject({ workers: 0, busy: 0, queued: 0, failed: 3 })
  })

  it('forwards an abort from the page to ctx.signal in the worker', async () => {
    const pool = makePool()
    const ac = new AbortController()
    const p = rejection(pool.call('slow', ev('x.y', { ms: 10_000, tag: 'first' }), { signal: ac.signal }))
    await expect.poll(() => pool.stats().busy, { timeout: 10_000 }).toBe(1)
    ac.abort(new Error('user gave up'))
    const err = await p
    expect(err.message).toBe('user gave up')
    // The worker saw the abort, finished the handler and took the next call.
    expect(await pool.call('aborted', ev('x.y', {}))).toEqual(['first'])
    const pre = new AbortController()
    pre.abort()
    expect((await rejection(pool.call('double', ev('x.y', { n: 1 }), { signal: pre.signal }))).name).toBe('AbortedError')
  })

  it('transfers ArrayBuffers both ways', async () => {
    const pool = makePool()
    const buf = new Uint8Array([1, 2, 3, 250]).buffer
    const event = ev('img.sum', { buf })
    const res = await pool.handler<{ sum: number; byteLength: number; out: ArrayBuffer }>('sumBuffer', {
      transfer: (e) => [(e.data as { buf: ArrayBuffer }).buf],
    })(event)
    expect(res.sum).toBe(256)
    expect(res.byteLength).toBe(4)
    expect(buf.byteLength).toBe(0) // moved, not copied
    expect([...new Uint8Array(res.out)]).toEqual([2, 4, 6, 244])
  })

  it('transfers an ImageBitmap', async () => {
    const pool = makePool()
    const bmp = await createImageBitmap(new ImageData(5, 3))
    const res = await pool.call('bitmap', ev('img.bitmap', { bmp }), { transfer: [bmp] })
    expect(res).toEqual({ width: 5, height: 3, isBitmap: true })
    expect(bmp.width).toBe(0) // detached by the transfer
  })

  it('validates options with typed errors', () => {
    const f = spawnTestWorker
    expect(() => createWorkerPool(f, { size: 0 })).toThrowError(/Invalid option size/)
    expect(() => createWorkerPool(f, { timeoutMs: -1 })).toThrowError(/timeoutMs/)
    expect(() => createWorkerPool(f, { maxRestarts: 1.5 })).toThrowError(/maxRestarts/)
    expect(() => createWorkerPool('w.js' as unknown as () => Worker)).toThrowError(/factory/)
  })
})
