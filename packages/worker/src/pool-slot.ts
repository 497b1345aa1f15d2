// What a worker pool (pool.ts) keeps for each call and for each of its workers; aborting a call
// (pool-abort.ts) reads them too.
import type { TidingsEvent } from '@tidings/core'
import type { Remote } from 'comlink'
import type { PoolCallOptions } from './pool-types.js'
import type { PoolApi } from './pool-protocol.js'

/** A call of a worker handler, from call() until it settles (once). */
export interface Call {
  id: number
  name: string
  event: TidingsEvent
  opts: PoolCallOptions
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  settled: boolean
  cleanup?: (() => void) | undefined
}

/** A worker and its place in the pool. */
export interface Slot {
  worker: Worker
  port: MessagePort
  remote: Remote<PoolApi>
  /** Comlink proxy of remote.run, made once (each property read builds a new proxy). */
  run: Remote<PoolApi>['run']
  busy?: Call | undefined
  /** Start-up timer (until the worker says ready). */
  timer?: ReturnType<typeof setTimeout> | undefined
  /** performance.now() by which the running call must finish; Infinity when idle. */
  deadline: number
  /** registerHandlers() answered; only then does the slot take calls (so a slow load never eats
   *  a call's timeoutMs, and the life lock is in place before any handler runs). */
  ready: boolean
  dead: boolean
  /** Cancels the page's wait on the worker's life lock. */
  lockWait?: AbortController | undefined
  detach: () => void
  /** Its place in the pool (0..size-1): a replacement takes the place of the worker it replaces,
   *  so system events name `pool:<name>#<index>` for both. */
  index: number
}
