// Inside a pool worker: the named handlers the page's pool.handler(name) calls. Each call gets
// (event, ctx) where ctx.signal aborts when the page aborts the call (unsubscribe, a subscription
// timeout, shutdown).
//
// One connection for life: the worker serves the first valid pool connect it receives on `self`
// (the pool posts it right after creating the worker) and ignores every later one, so a script
// that posts its own connect with its own port can neither run, abort, answer nor observe the
// page's calls. Ignored connects and malformed pool messages are counted (stats(), and reported
// to the page's pool.stats()) and warned about once; nothing is ever thrown into the worker.
import { expose } from 'comlink'
import type { TidingsEvent } from '@tidings/core'
import { UnknownHandlerError } from './errors.js'
import type { CallMeta, PoolApi } from './pool-protocol.js'
import { ignoredMessage, readConnect, statusMessage, thrownToWire } from './pool-worker-protocol.js'

export interface WorkerHandlerContext {
  /** Aborts when the page aborts this call. */
  signal: AbortSignal
  /** 1 for the first attempt (the page subscription's retry count). */
  attempt: number
  /** Id of the page subscription that called, when called through pool.handler(). */
  subscriptionId?: string
  /** The handler name this call was made for. */
  handler: string
}

export type WorkerHandler = (event: TidingsEvent, ctx: WorkerHandlerContext) => unknown

/** The ctx of one call. Its AbortController is made only if the handler reads `signal`. */
class CallCtx implements WorkerHandlerContext {
  #controller: AbortController | undefined
  #abortedWith: string | undefined
  readonly subscriptionId?: string

  readonly attempt: number
  readonly handler: string
  constructor(
    attempt: number,
    handler: string,
    subscriptionId: string | undefined,
  ) {
    this.attempt = attempt
    this.handler = handler
    if (subscriptionId !== undefined) this.subscriptionId = subscriptionId
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#abortedWith !== undefined) this.#controller.abort(new DOMException(this.#abortedWith, 'AbortError'))
    }
    return this.#controller.signal
  }

  abort(reason: string): void {
    if (this.#abortedWith !== undefined) return
    this.#abortedWith = reason
    this.#controller?.abort(new DOMException(reason, 'AbortError'))
  }
}

/** Counters of one registerHandlers() (inside the worker). */
export interface PoolWorkerStats {
  /** The pool's connect arrived and its port is served. */
  connected: boolean
  /** Connects after the first, ignored (their ports get nothing). */
  ignoredConnects: number
  /** Pool-protocol messages on `self` with an unknown version or a bad shape, ignored. */
  malformed: number
}

/** What registerHandlers() returns. */
export interface RegisteredHandlers {
  stats(): PoolWorkerStats
}

/** Registers the worker's handlers. Call it once, at the top level of the worker module. */
export function registerHandlers(handlers: Record<string, WorkerHandler>): RegisteredHandlers {
  const calls = new Map<number, CallCtx>()
  const api: PoolApi = {
    run(callId: number, name: string, event: TidingsEvent, meta: CallMeta) {
      const handler = Object.prototype.hasOwnProperty.call(handlers, name) ? handlers[name] : undefined
      if (typeof handler !== 'function') throw thrownToWire(new UnknownHandlerError(name, Object.keys(handlers)))
      const ctx = new CallCtx(meta.attempt, name, meta.subscriptionId)
      calls.set(callId, ctx)
      let result: unknown
      try {
        result = handler(event, ctx)
      } catch (err) {
        calls.delete(callId)
        // Thrown as its wire form (a plain, already-cloned value): Comlink alone would keep only
        // name/message/stack of an Error and fail to post an uncloneable thrown value.
        throw thrownToWire(err)
      }
      // Sync results go straight back (Comlink resolves them); only promises wait here.
      if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') {
        calls.delete(callId)
        return result as Promise<unknown>
      }
      return Promise.resolve(result).then(
        (value) => {
          calls.delete(callId)
          return value
        },
        (err: unknown) => {
          calls.delete(callId)
          throw thrownToWire(err)
        },
      )
    },
    abort(callId: number, reason: string) {
      calls.get(callId)?.abort(reason)
    },
    names() {
      return Object.keys(handlers)
    },
  }

  let port: MessagePort | undefined
  const counts = { ignoredConnects: 0, malformed: 0 }
  const warned = { connect: false, malformed: false }
  const warnOnce = (what: 'connect' | 'malformed', text: string) => {
    if (warned[what]) return
    warned[what] = true
    try {
      console.warn(`[tidings] pool worker: ${text} (warned once; see registerHandlers().stats())`)
    } catch {
      /* a console that throws must not break the worker */
    }
  }
  const report = (what: 'connect' | 'malformed') => {
    try {
      port?.postMessage(ignoredMessage(what), [])
    } catch {
      /* the port is gone: the count stays in stats() */
    }
  }

  const scope = globalThis as unknown as EventTarget & { close?: () => void }
  scope.addEventListener('message', (e) => {
    let data: unknown
    try {
      data = (e as MessageEvent).data
    } catch {
      return
    }
    const read = readConnect(data)
    if (read.status === 'foreign') return // an event bridge's or the app's message
    if (read.status === 'malformed') {
      counts.malformed++
      warnOnce('malformed', `ignored a pool message: ${read.reason}`)
      report('malformed')
      return
    }
    if (port !== undefined) {
      // Only the first connection is served for the worker's life: a second port must not share
      // the call map (it could abort or observe the page's calls).
      counts.ignoredConnects++
      warnOnce('connect', 'ignored a second pool connect (a worker serves only the pool that created it)')
      report('connect')
      return
    }
    const p = read.msg.port
    port = p
    expose(api, p)
    const lock = read.msg.lock
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
    const ready = () => {
      try {
        p.postMessage(statusMessage('ready'), [])
      } catch {
        /* the page closed the port */
      }
    }
    if (lock === undefined || locks === undefined) {
      ready()
      return
    }
    // Held until this context dies; the page queues for it and is granted it only then.
    locks
      .request(lock, () => {
        ready()
        return new Promise<never>(() => {})
      })
      .catch(ready)
  })
  // A worker that closes itself sends no event the page can see: say so first, so the pool
  // fails the running call at once instead of waiting for its timeout.
  const close = scope.close
  if (typeof close === 'function') {
    scope.close = () => {
      try {
        port?.postMessage(statusMessage('closing'), [])
      } catch {
        /* closing anyway */
      }
      close.call(scope)
    }
  }
  return {
    stats: () => ({ connected: port !== undefined, ...counts }),
  }
}
