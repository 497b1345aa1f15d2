// Test pool worker: one handler per behaviour the pool must survive.
import { TimeoutError, type TidingsEvent } from '@tidings/core'
import { wrap } from 'comlink'
import { registerHandlers, transfer } from '../index.js'
import type { PoolApi } from '../pool-protocol.js'

let abortedCalls: string[] = []
const scope = globalThis as unknown as { close(): void }
// Captured before registerHandlers() wraps close(): closing through it sends no notice, so only
// the port's 'close' event (or the call's timeout) can reveal the dead worker.
const rawClose = scope.close.bind(scope)

/** An Error with its own fields and a two-level cause chain (the second cause a plain value). */
function richError(): Error {
  const socket = Object.assign(new TypeError('socket hang up'), { errno: -104 })
  ;(socket as Error & { cause?: unknown }).cause = { hop: 2, host: 'db.local' }
  const err = new Error('upstream down', { cause: socket })
  err.name = 'HttpError'
  return Object.assign(err, { status: 503, code: 'E_X', retryable: false, headers: { 'retry-after': '5' } })
}

// What a script inside the worker saw on the port it passed in its own connect.
const hijackInbox: unknown[] = []

const registered = registerHandlers({
  double: (e: TidingsEvent) => (e.data as { n: number }).n * 2,
  echo: (e, ctx) => ({ id: e.id, type: e.type, data: e.data, attempt: ctx.attempt, subscriptionId: ctx.subscriptionId, handler: ctx.handler }),
  async slow(e, ctx) {
    const ms = (e.data as { ms: number }).ms
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms)
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t)
        abortedCalls.push(String((e.data as { tag?: string }).tag ?? e.id))
        resolve()
      })
    })
    return ctx.signal.aborted ? 'aborted' : 'done'
  },
  aborted: () => {
    const out = abortedCalls
    abortedCalls = []
    return out
  },
  throws: (e) => {
    const err = new RangeError(`bad value ${(e.data as { n: number }).n}`)
    throw err
  },
  throwsString: () => {
    throw 'plain string'
  },
  exitSelf: () => {
    scope.close()
    return 'unreachable'
  },
  exitRaw: () => {
    rawClose()
    return new Promise(() => {})
  },
  timerCrash: () => {
    setTimeout(() => {
      throw new Error('boom in a timer')
    }, 0)
    return new Promise(() => {}) // never settles: the crash must fail the call
  },
  hang: () => {
    const end = Date.now() + 60_000
    while (Date.now() < end) {
      /* busy: only terminate() stops this */
    }
    return 'never'
  },
  // Fails on the first attempt by crashing; succeeds on later ones (retry policy test).
  crashFirst: (_e, ctx) => {
    if (ctx.attempt === 1) scope.close()
    return `ok on attempt ${ctx.attempt}`
  },
  sumBuffer: (e) => {
    const buf = (e.data as { buf: ArrayBuffer }).buf
    const bytes = new Uint8Array(buf)
    let sum = 0
    for (const b of bytes) sum += b
    const out = new Uint8Array(bytes.length).map((_, i) => bytes[i]! * 2)
    return transfer({ sum, byteLength: buf.byteLength, out: out.buffer }, [out.buffer])
  },
  bitmap: (e) => {
    const bmp = (e.data as { bmp: ImageBitmap }).bmp
    const size = { width: bmp.width, height: bmp.height, isBitmap: bmp instanceof ImageBitmap }
    bmp.close()
    return size
  },
  nonCloneableResult: () => ({ fn: () => 1 }),
  // Errors with fields, causes and non-Error throws (what must survive the boundary).
  throwsRich: () => {
    throw richError()
  },
  rejectsRich: async () => {
    await Promise.resolve()
    throw richError()
  },
  throwsObject: () => {
    throw { reason: 'x', retryable: false }
  },
  throwsNumber: () => {
    throw 42
  },
  throwsObjectWithFn: () => {
    throw { reason: 'y', fn: () => 1 }
  },
  throwsFunction: () => {
    throw namedFn
  },
  throwsUncloneableFields: () => {
    throw Object.assign(new Error('has a callback'), { status: 500, callback: () => 1, details: { ok: 1, fn: () => 2 } })
  },
  throwsDeep: () => {
    let err = new Error('level 11')
    for (let i = 10; i >= 0; i--) err = new Error(`level ${i}`, { cause: err })
    throw err
  },
  throwsCircular: () => {
    const err = new Error('loops')
    ;(err as Error & { cause?: unknown }).cause = err
    throw err
  },
  throwsTidings: () => {
    throw new TimeoutError('fetching the thumbnail', 1234)
  },
  throwsHostileFields: () => {
    const err = new Error('hostile')
    Object.defineProperty(err, '__proto__', { value: { polluted: true }, enumerable: true })
    Object.defineProperty(err, 'bad', { enumerable: true, get: () => { throw new Error('no reading') } })
    return Promise.reject(Object.assign(err, { kept: 'yes' }))
  },
  // A script inside the worker posts its own connect to `self` with its own port, then speaks
  // Comlink over it: it must get nothing.
  selfHijack: () => {
    const { port1, port2 } = new MessageChannel()
    port1.addEventListener('message', (m) => hijackInbox.push(m.data))
    port1.start()
    globalThis.dispatchEvent(new MessageEvent('message', { data: { tag: 'tidings.pool', v: 1, kind: 'connect', port: port2 } }))
    const remote = wrap<PoolApi>(port1)
    for (let id = 0; id < 20; id++) remote.abort(id, 'hijacked').catch(() => {})
    remote.names().then((n) => hijackInbox.push(n), () => {})
    return 'posted'
  },
  hijackInbox: () => hijackInbox.length,
  workerStats: () => registered.stats(),
})

/** A function thrown as if it were an error (module scope: it captures nothing). */
function namedFn(): void {}
