// The public shapes of a worker pool (createWorkerPool).
import type { Bus, TidingsEvent } from '@tidings/core'

export interface WorkerPoolOptions {
  /** Most workers at once. Default: hardwareConcurrency - 1, between 1 and 4. */
  size?: number
  /** Longest a call may run in a worker before the worker is terminated and the call fails
   *  with TimeoutError. 0 = no limit. Default 30000. */
  timeoutMs?: number
  /** How many crashed or hung workers the pool replaces before it gives up and fails every
   *  call with WorkerRestartLimitError. Default 10. */
  maxRestarts?: number
  /** How long a new worker may take to load and call registerHandlers() before it counts as
   *  crashed. Separate from timeoutMs so a slow first load never eats a call's budget. Default 10000. */
  startTimeoutMs?: number
  /** Shown in errors. Default `pool`, `pool#2`... */
  name?: string
  /** A bus to report worker faults on, as system events (only built while something subscribes
   *  to a `$` pattern): `$tidings.worker.crashed` `{ worker, reason }` each time a worker crashes,
   *  hangs past timeoutMs or fails to start (it is terminated), and `$tidings.worker.restarted`
   *  `{ worker }` when its replacement has loaded and called registerHandlers(). `worker` is
   *  `pool:<name>#<index>`, index 0..size-1 being the worker's place in the pool (a replacement
   *  takes its predecessor's). Default: none (no events). */
  bus?: Bus
}

export interface PoolCallOptions {
  /** Aborting rejects the call at once and aborts ctx.signal inside the worker. */
  signal?: AbortSignal
  /** Objects to transfer (not copy) to the worker: ArrayBuffers, ImageBitmaps... */
  transfer?: Transferable[]
  attempt?: number
  subscriptionId?: string
}

/** What pool.handler() needs from the bus's handler context (a subset of core's HandlerContext). */
export interface PoolHandlerContext {
  signal?: AbortSignal
  attempt?: number
  subscription?: { readonly id: string }
}

export interface PoolHandlerOptions<E> {
  /** Which parts of the event to transfer instead of copy. They are detached on the page after
   *  the call starts, so only transfer what no other subscriber reads. */
  transfer?: (event: E) => Transferable[]
}

export interface WorkerPoolStats {
  size: number
  /** Live workers. */
  workers: number
  busy: number
  queued: number
  calls: number
  completed: number
  failed: number
  crashes: number
  timeouts: number
  /** Workers replaced after a crash or a timeout. */
  restarts: number
  /** Workers created in all (first ones and replacements). */
  spawned: number
  /** Connects after the first that a worker received and ignored (reported by the worker):
   *  some other script posted a pool connect with its own port. It got nothing. */
  ignoredConnects: number
  /** Pool-protocol messages ignored for an unknown version or a bad shape, on either side. */
  malformed: number
}

export interface WorkerPool {
  readonly name: string
  readonly terminated: boolean
  /** An async bus handler that runs the worker's handler `name`:
   *  `bus.subscribe('img.resize', pool.handler('resize'), { queue, retry })`. */
  handler<R = unknown, E extends TidingsEvent = TidingsEvent>(
    name: string,
    opts?: PoolHandlerOptions<E>,
  ): (event: E, ctx?: PoolHandlerContext) => Promise<R>
  /** Runs the worker's handler `name` with `event` once. */
  call<R = unknown>(name: string, event: TidingsEvent, opts?: PoolCallOptions): Promise<R>
  stats(): WorkerPoolStats
  /** Terminates every worker; pending and later calls reject with WorkerPoolTerminatedError. */
  terminate(): void
}
