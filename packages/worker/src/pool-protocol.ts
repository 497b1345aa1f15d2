// Between a pool (page) and registerHandlers (worker). The page hands each worker a private
// MessagePort and speaks Comlink over it, so the worker's own `self` channel stays free for an
// event bridge or app messages, and the page can watch the port for the worker going away.
import type { TidingsEvent } from '@tidings/core'

export const POOL_TAG = 'tidings/pool'

/** Page -> worker over `self`: here is your port. */
export interface PoolConnectMessage {
  tag: typeof POOL_TAG
  kind: 'connect'
  port: MessagePort
  /** A Web Lock the worker holds for its whole life: the page waits on it to learn the moment
   *  the worker's context is gone, however it died. */
  lock?: string
}

/** Worker -> page over the port (outside Comlink): handlers are registered ('ready'), or the
 *  worker is about to close itself ('closing'). */
export interface PoolStatusMessage {
  tag: typeof POOL_TAG
  kind: 'ready' | 'closing'
}

export interface CallMeta {
  attempt: number
  subscriptionId?: string
}

/** What registerHandlers exposes with Comlink. */
export interface PoolApi {
  run(callId: number, name: string, event: TidingsEvent, meta: CallMeta): Promise<unknown>
  abort(callId: number, reason: string): void
  names(): string[]
}

export function isPoolConnect(x: unknown): x is PoolConnectMessage {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as PoolConnectMessage).tag === POOL_TAG &&
    (x as PoolConnectMessage).kind === 'connect' &&
    (x as PoolConnectMessage).port instanceof MessagePort
  )
}

export function poolStatus(x: unknown): PoolStatusMessage['kind'] | undefined {
  if (typeof x !== 'object' || x === null || (x as PoolStatusMessage).tag !== POOL_TAG) return undefined
  const k = (x as PoolStatusMessage).kind
  return k === 'ready' || k === 'closing' ? k : undefined
}
