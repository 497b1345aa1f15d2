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
}

/** Worker -> page over the port (outside Comlink): the worker is about to close itself. */
export interface PoolClosingMessage {
  tag: typeof POOL_TAG
  kind: 'closing'
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

export function isPoolClosing(x: unknown): x is PoolClosingMessage {
  return typeof x === 'object' && x !== null && (x as PoolClosingMessage).tag === POOL_TAG && (x as PoolClosingMessage).kind === 'closing'
}
