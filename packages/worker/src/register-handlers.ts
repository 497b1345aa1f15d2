// Inside a pool worker: the named handlers the page's pool.handler(name) calls. Each call gets
// (event, ctx) where ctx.signal aborts when the page aborts the call (unsubscribe, a subscription
// timeout, shutdown).
import { expose } from 'comlink'
import type { TidingsEvent } from '@tidings/core'
import { UnknownHandlerError } from './errors.js'
import { isPoolConnect, POOL_TAG, type CallMeta, type PoolApi, type PoolStatusMessage } from './pool-protocol.js'

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
  private controller: AbortController | undefined
  private abortedWith: string | undefined
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
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.abortedWith !== undefined) this.controller.abort(new DOMException(this.abortedWith, 'AbortError'))
    }
    return this.controller.signal
  }

  abort(reason: string): void {
    if (this.abortedWith !== undefined) return
    this.abortedWith = reason
    this.controller?.abort(new DOMException(reason, 'AbortError'))
  }
}

/** Registers the worker's handlers. Call it once, at the top level of the worker module. */
export function registerHandlers(handlers: Record<string, WorkerHandler>): void {
  const calls = new Map<number, CallCtx>()
  const api: PoolApi = {
    run(callId: number, name: string, event: TidingsEvent, meta: CallMeta) {
      const handler = Object.prototype.hasOwnProperty.call(handlers, name) ? handlers[name] : undefined
      if (typeof handler !== 'function') throw new UnknownHandlerError(name, Object.keys(handlers))
      const ctx = new CallCtx(meta.attempt, name, meta.subscriptionId)
      calls.set(callId, ctx)
      let result: unknown
      try {
        result = handler(event, ctx)
      } catch (err) {
        calls.delete(callId)
        throw err
      }
      // Sync results go straight back (Comlink resolves them); only promises wait here.
      if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') {
        calls.delete(callId)
        return result as Promise<unknown>
      }
      return Promise.resolve(result).finally(() => calls.delete(callId))
    },
    abort(callId: number, reason: string) {
      calls.get(callId)?.abort(reason)
    },
    names() {
      return Object.keys(handlers)
    },
  }

  const ports: MessagePort[] = []
  const scope = globalThis as unknown as EventTarget & { close?: () => void }
  scope.addEventListener('message', (e) => {
    const data = (e as MessageEvent).data
    if (!isPoolConnect(data)) return
    const port = data.port
    ports.push(port)
    expose(api, port)
    const ready: PoolStatusMessage = { tag: POOL_TAG, kind: 'ready' }
    const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks
    if (data.lock === undefined || locks === undefined) {
      port.postMessage(ready, [])
      return
    }
    // Held until this context dies; the page queues for it and is granted it only then.
    locks
      .request(data.lock, () => {
        port.postMessage(ready, [])
        return new Promise<never>(() => {})
      })
      .catch(() => port.postMessage(ready, []))
  })
  // A worker that closes itself sends no event the page can see: say so first, so the pool
  // fails the running call at once instead of waiting for its timeout.
  const close = scope.close
  if (typeof close === 'function') {
    scope.close = () => {
      const msg: PoolStatusMessage = { tag: POOL_TAG, kind: 'closing' }
      for (const p of ports) p.postMessage(msg, [])
      close.call(scope)
    }
  }
}
