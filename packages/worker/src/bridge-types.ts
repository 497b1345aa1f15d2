// The public shapes of the event bridge (connectWorker / workerBus).
import type { Bus, EventMap, EventMapOf } from '@tidings/core'
import type { Observable } from 'rxjs'

export interface ConnectWorkerOptions {
  /** Patterns of the event types that cross, both ways (inbound events outside them are
   *  ignored and counted as `unshared`). Default: none. */
  share?: string | readonly string[]
  /** Name the bridge marks ingested events with (bus.bridgedBy). Default `worker`, `worker#2`... */
  name?: string
  /** Most events per posted batch; this many small events waiting are sent at once instead of
   *  at the end of the microtask. Default 1024. */
  maxBatch?: number
  /** Most bytes per posted batch, estimated without serializing (strings by length, typed arrays
   *  and ArrayBuffers by byteLength, objects by a bounded sampling walk); an event larger than
   *  this goes alone. A burst over it is posted across tasks, about this many bytes per task, so
   *  serializing never blocks the thread for long. Default 1048576 (1 MiB). */
  maxBatchBytes?: number
  /** Events kept while the peer has not said hello yet, or is unresponsive; older ones are
   *  dropped and counted. Default 10000. */
  maxPending?: number
  /** The peer is reported unresponsive when it has not acknowledged a batch for this long (ms).
   *  Default 5000. */
  livenessTimeoutMs?: number
}

/** connecting: no hello from the peer yet; ready: events flow; unresponsive: the peer stopped
 *  acknowledging (terminated, or stuck in a long task), events wait; closed: for good. */
export type WorkerBridgeStatus = 'connecting' | 'ready' | 'unresponsive' | 'closed'

export interface WorkerBridgeStats {
  /** Events posted to the peer. */
  sent: number
  /** Events received and re-published locally. */
  received: number
  /** postMessage calls carrying events. */
  batches: number
  /** Batches posted that the peer has not acknowledged yet. */
  unacknowledged: number
  /** Times the peer went unresponsive. */
  unresponsive: number
  /** Inbound messages or envelopes that failed validation (ignored). */
  malformed: number
  /** Inbound events whose type is outside `share` (ignored). */
  unshared: number
  /** Inbound events that claimed this context's origin (ignored). */
  echoes: number
  /** Inbound events already delivered (same session and seq; ignored). */
  duplicates: number
  /** Holes detected in a session's events (each counts once; the events after it are delivered). */
  gaps: number
  /** Inbound seq jumps too large to be plausible (delivered, reported). */
  implausible: number
  /** A second hello, or a bye without the peer's nonce (ignored). */
  forged: number
  /** Outbound events whose data could not be structured-cloned (delivered locally only). */
  uncloneable: number
  /** Outbound events dropped while waiting for the peer (over maxPending). */
  dropped: number
  /** Inbound events the local bus refused (schema, full 'reject' queue...). */
  ingestErrors: number
}

export interface WorkerBridge<M extends EventMapOf<M> = EventMap> {
  readonly name: string
  /** Resolves when the peer's bridge has answered and said which request types its bus answers
   *  (the `reply()` patterns registered when it got our hello), so a `request()` made right after
   *  it reaches them (a peer that never says makes it resolve `livenessTimeoutMs` after its
   *  hello). Events sent before are buffered. */
  readonly ready: Promise<void>
  /** The peer bus's origin, once ready. */
  readonly peerOrigin: string | undefined
  readonly closed: boolean
  /** The bridge's state; replays the current one to new subscribers. */
  readonly status$: Observable<WorkerBridgeStatus>
  /** Errors of this bridge: UncloneableDataError for events that could not cross (emitted
   *  synchronously inside the publish that caused it), errors the local bus raised when
   *  re-publishing inbound events, and the peer going unresponsive. Never thrown into the app. */
  readonly errors$: Observable<Error>
  /** bus.publish, then throws UncloneableDataError if this bridge could not forward the event
   *  (the event has been delivered locally either way). */
  publish: Bus<M>['publish']
  stats(): WorkerBridgeStats
  /** Sends every buffered event now (in this task, ignoring the per-task byte budget). */
  flush(): void
  /** Stops forwarding both ways and tells the peer. Does not terminate the worker. */
  close(): void
}
