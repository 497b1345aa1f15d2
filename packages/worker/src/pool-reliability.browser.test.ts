// Adversarial cases for the worker pool, in real Chromium against real module workers: a hijacked
// connect, what an error keeps across the boundary, terminal errors, and the versioned protocol.
import { afterEach, describe, expect, it } from 'vitest'
import { wrap } from 'comlink'
import { createBus, type TidingsEvent } from '@tidings/core'
import {
  createWorkerPool,
  NonErrorThrownError,
  WorkerPoolTerminatedError,
  WorkerRestartLimitError,
  type PoolWorkerStats,
  type WorkerPool,
  type WorkerPoolOptions,
} from './index.js'
import { readPortMessage, readThrown, type PoolApi } from './pool-protocol.js'
import { readConnect, thrownToWire } from './pool-worker-protocol.js'
import { rejection } from '../../../test-support/promises.js'

const pools: WorkerPool[] = []
afterEach(() => {
  for (const p of pools.splice(0)) p.terminate()
})

const workerUrl = new URL('./test-fixtures/pool-worker.ts', import.meta.url)

/** A one-worker pool whose Worker objects the test can reach (as any page script could). */
function makePool(opts: WorkerPoolOptions = {}, onWorker?: (w: Worker) => void): { pool: WorkerPool; workers: Worker[] } {
  const workers: Worker[] = []
  const pool = createWorkerPool(
    () => {
      const w = new Worker(workerUrl, { type: 'module' })
      workers.push(w)
      onWorker?.(w)
      return w
    },
    { size: 1, timeoutMs: 10_000, ...opts },
  )
  pools.push(pool)
  return { pool, workers }
}

let n = 0
function ev(type: string, data: unknown): TidingsEvent {
  n++
  return { id: `page:${n}`, type, timestamp: Date.now(), version: 1, data, origin: 'page', seq: n }
}

/** A channel standing in for a hijacker: everything that arrives on its port1 is recorded. */
function foreignChannel(): { port1: MessagePort; port2: MessagePort; seen: unknown[] } {
  const { port1, port2 } = new MessageChannel()
  const seen: unknown[] = []
  port1.addEventListener('message', (e) => seen.push(e.data))
  port1.start()
  return { port1, port2, seen }
}

/** Settled by the time a zero timer fires: the promise was rejected synchronously, so its
 *  handlers ran in the microtasks before any timer (not a timing assertion). */
async function settledBeforeAnyTimer(p: Promise<unknown>): Promise<unknown> {
  let out: { error: unknown } | undefined
  p.then(
    () => (out = { error: undefined }),
    (error: unknown) => (out = { error }),
  )
  await new Promise((r) => setTimeout(r, 0))
  expect(out).toBeDefined()
  return out!.error
}

describe('pool: one connection per worker', () => {
  it('a second connect with a foreign port cannot abort, answer or observe the page calls', async () => {
    const { pool, workers } = makePool()
    expect(await pool.call('double', ev('x.y', { n: 1 }))).toBe(2) // connected, warm
    const foreign = foreignChannel()
    workers[0]!.postMessage({ tag: 'tidings.pool', v: 1, kind: 'connect', port: foreign.port2 }, [foreign.port2])
    // The worker ignored it and said so over the page's own port.
    await expect.poll(() => pool.stats().ignoredConnects).toBe(1)

    const slow = pool.call('slow', ev('x.y', { ms: 300, tag: 'page' }))
    await expect.poll(() => pool.stats().busy, { timeout: 10_000 }).toBe(1)
    // The hijacker speaks the pool's Comlink API over its port: abort every plausible call id,
    // ask for the handler names, try to run a handler under a page call's id.
    const remote = wrap<PoolApi>(foreign.port1)
    let answers = 0
    const count = () => void answers++
    for (let id = 0; id < 20; id++) remote.abort(id, 'hijacked').then(count, count)
    remote.names().then(count, count)
    remote.run(2, 'double', ev('x.y', { n: 100 }), { attempt: 1 }).then(count, count)

    expect(await slow).toBe('done') // not aborted
    expect(await pool.call('aborted', ev('x.y', {}))).toEqual([]) // no abort reached any call
    expect(await Promise.all([1, 2, 3].map((i) => pool.call('double', ev('x.y', { n: i }))))).toEqual([2, 4, 6])
    expect(foreign.seen).toEqual([]) // no 'ready', no Comlink answer, nothing
    expect(answers).toBe(0)
    expect(await pool.call<PoolWorkerStats>('workerStats', ev('x.y', {}))).toEqual({ connected: true, ignoredConnects: 1, malformed: 0 })
    expect(pool.stats()).toMatchObject({ ignoredConnects: 1, crashes: 0, restarts: 0, spawned: 1, failed: 0 })
  })

  it('a connect posted right after the pool created the worker (before it loaded) is ignored; the pool keeps its worker', async () => {
    const foreign = foreignChannel()
    const { pool } = makePool({}, (w) =>
      queueMicrotask(() => w.postMessage({ tag: 'tidings.pool', v: 1, kind: 'connect', port: foreign.port2 }, [foreign.port2])),
    )
    expect(await pool.call('double', ev('x.y', { n: 21 }))).toBe(42)
    await expect.poll(() => pool.stats().ignoredConnects).toBe(1)
    expect(await pool.call('echo', ev('x.y', { k: 1 }))).toMatchObject({ data: { k: 1 }, attempt: 1, handler: 'echo' })
    expect(foreign.seen).toEqual([])
    expect(pool.stats()).toMatchObject({ spawned: 1, crashes: 0 })
  })

  it('a script inside the worker that dispatches its own connect on self gets nothing', async () => {
    const { pool } = makePool()
    expect(await pool.call('selfHijack', ev('x.y', {}))).toBe('posted')
    await expect.poll(() => pool.stats().ignoredConnects).toBe(1)
    expect(await pool.call('double', ev('x.y', { n: 5 }))).toBe(10)
    expect(await pool.call('hijackInbox', ev('x.y', {}))).toBe(0)
    expect(await pool.call<PoolWorkerStats>('workerStats', ev('x.y', {}))).toEqual({ connected: true, ignoredConnects: 1, malformed: 0 })
  })
})

describe('pool: errors keep their fields across the boundary', () => {
  it('a thrown Error keeps name, message, stack, status, code, other fields and a nested cause chain', async () => {
    const { pool } = makePool()
    for (const handler of ['throwsRich', 'rejectsRich']) {
      const err = await rejection(pool.call(handler, ev('x.y', {})))
      expect(err).toBeInstanceOf(Error)
      expect(err.name).toBe('HttpError')
      expect(err.message).toBe('upstream down')
      expect(err.stack).toContain('richError') // the worker's stack, not the page's
      expect(err.status).toBe(503)
      expect(err.code).toBe('E_X')
      expect(err.retryable).toBe(false)
      expect(err.headers).toEqual({ 'retry-after': '5' })
      const cause = err.cause as Error & { errno?: number; cause?: unknown }
      expect(cause).toBeInstanceOf(Error)
      expect(cause.name).toBe('TypeError')
      expect(cause.message).toBe('socket hang up')
      expect(cause.errno).toBe(-104)
      expect(cause.cause).toEqual({ hop: 2, host: 'db.local' }) // a non-Error cause stays the value
      expect(err.uncloneableFields).toBeUndefined()
    }
    expect(pool.stats()).toMatchObject({ crashes: 0, failed: 2, malformed: 0 })
  })

  it('the fields reach dispatch results through pool.handler', async () => {
    const { pool } = makePool()
    const bus = createBus()
    bus.subscribe('job.rich', pool.handler('throwsRich'))
    const res = await bus.dispatch('job.rich', {}, { timeoutMs: 10_000 })
    const err = res.results[0]!.error as Error & { status?: number; code?: string }
    expect(err).toMatchObject({ name: 'HttpError', message: 'upstream down', status: 503, code: 'E_X' })
    expect((err.cause as Error).message).toBe('socket hang up')
  })

  it('a thrown plain object arrives as NonErrorThrownError keeping the object in cause', async () => {
    const { pool } = makePool()
    const err = await rejection(pool.call('throwsObject', ev('x.y', {})))
    expect(err).toBeInstanceOf(NonErrorThrownError)
    expect(err.name).toBe('NonErrorThrownError')
    expect(err.message).toBe('Non-error thrown: {"reason":"x","retryable":false}')
    expect(err.cause).toEqual({ reason: 'x', retryable: false })
    expect(err.handler).toBe('throwsObject')
    expect(err.uncloneableFields).toBeUndefined()
  })

  it('a thrown string or number arrives as NonErrorThrownError with the value in cause', async () => {
    const { pool } = makePool()
    const str = await rejection(pool.call('throwsString', ev('x.y', {})))
    expect(str).toBeInstanceOf(NonErrorThrownError)
    expect(str.message).toBe('plain string')
    expect(str.cause).toBe('plain string')
    const num = await rejection(pool.call('throwsNumber', ev('x.y', {})))
    expect(num).toBeInstanceOf(NonErrorThrownError)
    expect(num.message).toBe('Non-error thrown: 42')
    expect(num.cause).toBe(42)
  })

  it('fields that cannot be cloned are left out and named; never a DataCloneError', async () => {
    const { pool } = makePool()
    const err = await rejection(pool.call('throwsUncloneableFields', ev('x.y', {})))
    expect(err.name).toBe('Error')
    expect(err.message).toBe('has a callback')
    expect(err.status).toBe(500)
    expect('callback' in err).toBe(false)
    expect(err.details).toEqual({ ok: 1 })
    expect(err.uncloneableFields).toEqual(['callback (function)', 'details.fn (function)'])

    const obj = await rejection(pool.call('throwsObjectWithFn', ev('x.y', {})))
    expect(obj).toBeInstanceOf(NonErrorThrownError)
    expect(obj.cause).toEqual({ reason: 'y' })
    expect(obj.uncloneableFields).toEqual(['cause.fn (function)'])

    const fn = await rejection(pool.call('throwsFunction', ev('x.y', {})))
    expect(fn).toBeInstanceOf(NonErrorThrownError)
    expect(fn.message).toBe('Non-error thrown: function namedFn')
    expect('cause' in fn).toBe(false)
    expect(fn.uncloneableFields).toEqual(['cause (function)'])
    // The worker was fine all along.
    expect(await pool.call('double', ev('x.y', { n: 3 }))).toBe(6)
    expect(pool.stats()).toMatchObject({ crashes: 0, spawned: 1, malformed: 0 })
  })

  it('a cause chain is bounded (8 causes deep) and a circular cause is cut, both named', async () => {
    const { pool } = makePool()
    const deep = await rejection(pool.call('throwsDeep', ev('x.y', {})))
    const messages: string[] = []
    let e: (Error & { uncloneableFields?: string[] }) | undefined = deep
    let last = deep as Error & { uncloneableFields?: string[] }
    while (e !== undefined) {
      messages.push(e.message)
      last = e
      e = e.cause as typeof e
    }
    expect(messages).toEqual(Array.from({ length: 9 }, (_, i) => `level ${i}`))
    expect(last.uncloneableFields).toEqual(['cause (more than 8 causes deep)'])

    const circular = await rejection(pool.call('throwsCircular', ev('x.y', {})))
    expect(circular.message).toBe('loops')
    expect('cause' in circular).toBe(false)
    expect(circular.uncloneableFields).toEqual(['cause (circular: an error already in this chain)'])
  })

  it("a Tidings error thrown in the worker keeps its typed fields; hostile fields neither throw nor pollute", async () => {
    const { pool } = makePool()
    const t = await rejection(pool.call('throwsTidings', ev('x.y', {})))
    expect(t).toMatchObject({ name: 'TimeoutError', operation: 'fetching the thumbnail', timeoutMs: 1234 })
    const unknown = await rejection(pool.call('nope', ev('x.y', {})))
    expect(unknown).toMatchObject({ name: 'UnknownHandlerError', handler: 'nope', retryable: false })
    expect(unknown.known).toContain('double')

    const h = await rejection(pool.call('throwsHostileFields', ev('x.y', {})))
    expect(h.message).toBe('hostile')
    expect(h.kept).toBe('yes')
    expect(Object.getPrototypeOf(h)).toBe(Error.prototype) // an own '__proto__' field stays a field
    expect(Object.getOwnPropertyDescriptor(h, '__proto__')?.value).toEqual({ polluted: true })
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
    expect(h.uncloneableFields).toEqual(['bad (reading it threw Error: no reading)'])
  })
})

describe('pool: terminal errors', () => {

  it('after terminate() a call rejects at once with WorkerPoolTerminatedError, retryable === false', async () => {
    const { pool } = makePool()
    const running = pool.call('slow', ev('x.y', { ms: 10_000 }))
    await expect.poll(() => pool.stats().busy, { timeout: 10_000 }).toBe(1)
    pool.terminate()
    const first = await settledBeforeAnyTimer(running)
    const later = await settledBeforeAnyTimer(pool.call('double', ev('x.y', { n: 1 })))
    for (const err of [first, later]) {
      expect(err).toBeInstanceOf(WorkerPoolTerminatedError)
      expect((err as WorkerPoolTerminatedError).retryable).toBe(false)
      expect(Object.prototype.propertyIsEnumerable.call(err, 'retryable')).toBe(true)
    }
    expect(pool.stats()).toMatchObject({ workers: 0, spawned: 1 }) // no new worker for the later call
  })

  it('a dispatch through pool.handler after terminate() fails on its first attempt with the terminal error', async () => {
    const { pool } = makePool()
    pool.terminate()
    const bus = createBus()
    bus.subscribe('job.after', pool.handler('double'))
    const res = await bus.dispatch('job.after', { n: 1 }, { timeoutMs: 10_000 })
    expect(res.ok).toBe(false)
    expect(res.results[0]).toMatchObject({ ok: false, attempts: 1 })
    expect(res.results[0]!.error).toBeInstanceOf(WorkerPoolTerminatedError)
    expect((res.results[0]!.error as WorkerPoolTerminatedError).retryable).toBe(false)
    expect(pool.stats().spawned).toBe(0)
  })

  it('WorkerRestartLimitError (the pool stopped for good) is terminal too', async () => {
    const { pool } = makePool({ maxRestarts: 0 })
    expect((await rejection(pool.call('exitSelf', ev('x.y', {})))).name).toBe('WorkerCrashedError')
    const err = await settledBeforeAnyTimer(pool.call('double', ev('x.y', { n: 1 })))
    expect(err).toBeInstanceOf(WorkerRestartLimitError)
    expect((err as WorkerRestartLimitError).retryable).toBe(false)
  })

  // Core's retry loop ends at once for an error with an own `retryable: false` (isRetryable in
  // @tidings/core), so a terminated pool is not called again after backoffs of 0.5, 1, 2 and 4 s.
  it('core: bus.dispatch with retry { attempts: 5, backoffMs: 500 } after pool.terminate() settles after 1 attempt', async () => {
    const { pool } = makePool()
    pool.terminate()
    const bus = createBus()
    const attempts: Array<[number, boolean]> = []
    bus.inspect((i) => {
      if (i.kind === 'error') attempts.push([i.attempt, i.final])
    })
    bus.subscribe('job.retry', pool.handler('double'), { retry: { attempts: 5, backoffMs: 500 } })
    const res = await bus.dispatch('job.retry', { n: 1 }, { timeoutMs: 30_000 })
    expect(res.ok).toBe(false)
    expect(res.results).toHaveLength(1)
    expect(res.results[0]).toMatchObject({ ok: false, attempts: 1 })
    expect(res.results[0]!.error).toBeInstanceOf(WorkerPoolTerminatedError)
    expect(attempts).toEqual([[1, true]]) // one failed attempt, and it was the final one
    expect(bus.stats().errors).toBe(1)
    expect(pool.stats().spawned).toBe(0)
  })
})

describe('pool: versioned protocol ({ tag: "tidings.pool", v: 1, kind })', () => {
  it('the worker ignores and counts pool messages of another version, the old unversioned tag and bad shapes; foreign messages are not its business', async () => {
    const { pool, workers } = makePool()
    expect(await pool.call('double', ev('x.y', { n: 1 }))).toBe(2)
    const w = workers[0]!
    const p2 = new MessageChannel()
    const p3 = new MessageChannel()
    w.postMessage({ tag: 'tidings.pool', v: 2, kind: 'connect', port: p2.port2 }, [p2.port2]) // future version
    w.postMessage({ tag: 'tidings/pool', kind: 'connect', port: p3.port2 }, [p3.port2]) // unversioned (old build)
    w.postMessage({ tag: 'tidings.pool', v: 1, kind: 'connect' }, []) // no port
    w.postMessage({ tag: 'tidings.pool', v: 1, kind: 'connect', port: 'p', lock: 7 }, [])
    w.postMessage({ tag: 'tidings.pool', v: 1 }, []) // no kind
    w.postMessage({ tag: 'tidings.pool', v: 1, kind: 'ready' }, []) // not a worker-bound kind
    w.postMessage({ tag: 'tidings.worker', v: 1, kind: 'hello' }, []) // the event bridge's: foreign
    w.postMessage('app message', []) // foreign
    w.postMessage(null, []) // foreign
    await expect.poll(() => pool.stats().malformed).toBe(6)
    expect(await pool.call<PoolWorkerStats>('workerStats', ev('x.y', {}))).toEqual({ connected: true, ignoredConnects: 0, malformed: 6 })
    expect(await pool.call('double', ev('x.y', { n: 4 }))).toBe(8)
    expect(pool.stats()).toMatchObject({ ignoredConnects: 0, malformed: 6, crashes: 0 })
  })

  it('readConnect / readPortMessage / readThrown classify hostile input without throwing', () => {
    const { port1, port2 } = new MessageChannel()
    const ok = readConnect({ tag: 'tidings.pool', v: 1, kind: 'connect', port: port1, lock: 'l' })
    expect(ok).toMatchObject({ status: 'ok', msg: { tag: 'tidings.pool', v: 1, kind: 'connect', lock: 'l' } })
    expect(readConnect({ tag: 'other', v: 1, kind: 'connect', port: port2 }).status).toBe('foreign')
    const throwing = new Proxy({}, { get: () => { throw new Error('trap') } })
    expect(readConnect(throwing).status).toBe('malformed')
    const getterPort = { tag: 'tidings.pool', v: 1, kind: 'connect', get port(): never { throw new Error('getter') } }
    expect(readConnect(getterPort)).toMatchObject({ status: 'malformed', reason: expect.stringContaining('getter') })

    expect(readPortMessage({ tag: 'tidings.pool', v: 1, kind: 'ready' })).toBe('ready')
    expect(readPortMessage({ tag: 'tidings.pool', v: 1, kind: 'ignored', what: 'connect' })).toBe('ignored-connect')
    expect(readPortMessage({ id: 'x', type: 'RAW', value: 1 })).toBeUndefined() // Comlink's traffic
    expect(readPortMessage({ tag: 'tidings.pool', v: 0, kind: 'ready' })).toBe('malformed')
    expect(readPortMessage({ tag: 'tidings.pool', v: 1, kind: 'ignored', what: 'everything' })).toBe('malformed')
    expect(readPortMessage({ tag: 'tidings.pool', v: 1, kind: 'explode' })).toBe('malformed')
    expect(readPortMessage(throwing)).toBe('malformed')

    expect(readThrown(new TypeError('Unserializable return value'))).toBe('foreign')
    expect(readThrown({ tag: 'tidings.pool', v: 1, kind: 'error', error: { name: 1 } })).toBe('malformed')
    expect(readThrown({ tag: 'tidings.pool', v: 1, kind: 'thrown', text: 5, uncloneable: [] })).toBe('malformed')
    expect(readThrown({ tag: 'tidings.pool', v: 2, kind: 'thrown', text: 'x', uncloneable: [] })).toBe('malformed')
    // What the worker sends is a plain, already-cloned value: it always posts.
    const wire = thrownToWire(Object.assign(new Error('x'), { status: 1, fn: () => 1 }))
    expect(() => structuredClone(wire)).not.toThrow()
    const back = readThrown(structuredClone(wire))
    expect(back).toBeInstanceOf(Error)
    expect(back).toMatchObject({ message: 'x', status: 1, uncloneableFields: ['fn (function)'] })
    expect(thrownToWire(throwing)).toMatchObject({ kind: 'thrown' })
    port1.close()
    port2.close()
  })
})
