// Errors of @tidings/worker. Like core's, each has a stable `name` (matched across contexts, where
// instanceof does not survive structured clone) and a message that says what to do.
import { TidingsError, TimeoutError, InvalidOptionError } from '@tidings/core'

// Re-exported so `import { TimeoutError } from '@tidings/worker'` is the very class core throws.
export { TimeoutError }

/** Event data (or metadata) that structured clone cannot copy, so it cannot cross to a worker.
 *  The event was still delivered locally; only the crossing failed. */
export class UncloneableDataError extends TidingsError {
  override name = 'UncloneableDataError'
  /** The event's type (topic). */
  readonly type: string
  /** Where the offending value sits, e.g. `data.callback` or `metadata.el`. */
  readonly path: string
  /** What the value is: `function`, `symbol`, `HTMLDivElement`, `WeakMap`... */
  readonly valueKind: string
  readonly eventId: string | undefined
  constructor(
    type: string,
    path: string,
    valueKind: string,
    eventId?: string,
    /** Where it could not go: the event bridge (default) or a worker pool call. */
    to: 'the worker' | 'the worker pool' = 'the worker',
  ) {
    super(
      `Event "${type}" cannot cross to ${to}: ${path} is a ${valueKind}, which structured clone cannot copy. ` +
        (to === 'the worker'
          ? `The event was delivered locally only. Send plain data (strings, numbers, arrays, objects, ArrayBuffers, Blobs), ` +
            `or publish it with { local: true } to keep it in this context.`
          : `The handler did not run. Send plain data, or list transferable objects (ports, streams) in { transfer }.`),
    )
    this.type = type
    this.path = path
    this.valueKind = valueKind
    this.eventId = eventId
  }
}

/** The value given as the worker/port to connect to is not a message endpoint. */
export class InvalidWorkerTargetError extends TidingsError {
  override name = 'InvalidWorkerTargetError'
  readonly input: unknown
  constructor(input: unknown) {
    super(
      `connectWorker() needs a Worker, a MessagePort (e.g. sharedWorker.port) or a worker global scope, got ${describe(input)}.`,
    )
    this.input = input
  }
}

/** A pool worker died while running a call: self.close(), an uncaught error, a failed load. */
export class WorkerCrashedError extends TidingsError {
  override name = 'WorkerCrashedError'
  readonly handler: string
  /** What happened, e.g. `uncaught Error: boom` or `the worker closed itself`. */
  readonly reason: string
  readonly pool: string
  constructor(
    handler: string,
    reason: string,
    pool: string,
  ) {
    super(
      `Worker of pool "${pool}" crashed while running handler "${handler}" (${reason}). ` +
        `It was terminated and will be respawned; retry the call (subscribe with { retry }) or fix the worker.`,
    )
    this.handler = handler
    this.reason = reason
    this.pool = pool
  }
}

/** The pool respawned crashed or hung workers more than maxRestarts times and gave up. */
export class WorkerRestartLimitError extends TidingsError {
  override name = 'WorkerRestartLimitError'
  /** Terminal: the pool has stopped for good, so trying the call again cannot succeed. */
  readonly retryable = false
  readonly pool: string
  readonly maxRestarts: number
  readonly lastReason: string
  constructor(
    pool: string,
    maxRestarts: number,
    lastReason: string,
  ) {
    super(
      `Pool "${pool}" stopped: its workers crashed or hung more than maxRestarts (${maxRestarts}) times; last: ${lastReason}. ` +
        `Fix the worker, or create a new pool (raise maxRestarts to tolerate more failures).`,
    )
    this.pool = pool
    this.maxRestarts = maxRestarts
    this.lastReason = lastReason
  }
}

/** The pool was terminated: pending and new calls are rejected. */
export class WorkerPoolTerminatedError extends TidingsError {
  override name = 'WorkerPoolTerminatedError'
  /** Terminal: a terminated pool never runs a call again, so a retry policy must not try it
   *  again (an own enumerable `retryable: false`, the marker a retry loop can check). */
  readonly retryable = false
  readonly pool: string
  readonly handler: string
  constructor(
    pool: string,
    handler: string,
  ) {
    super(`Pool "${pool}" was terminated before handler "${handler}" finished. Create a new pool to run more calls.`)
    this.pool = pool
    this.handler = handler
  }
}

/** The worker has no handler of that name (thrown inside the worker, arrives by name with its
 *  `handler`, `known` and `retryable` fields). */
export class UnknownHandlerError extends TidingsError {
  override name = 'UnknownHandlerError'
  /** Terminal: every replacement worker runs the same script, so a retry would fail the same way. */
  readonly retryable = false
  readonly handler: string
  readonly known: readonly string[]
  constructor(
    handler: string,
    known: readonly string[],
  ) {
    super(
      `The worker has no handler "${handler}" (registered: ${known.length ? known.join(', ') : 'none'}). ` +
        `Add it to registerHandlers({ ... }) in the worker script.`,
    )
    this.handler = handler
    this.known = known
  }
}

/** A pool worker's handler threw something that is not an Error (a string, a number, a plain
 *  object...). `message` describes it: a thrown string is the message; an object's string
 *  `message` is; anything else reads `Non-error thrown: <value>`. `cause` is the thrown value
 *  itself (its structured clone); when it could not be cloned, `cause` keeps the cloneable own
 *  fields of a plain object, or is absent, and `uncloneableFields` names what was left out. */
export class NonErrorThrownError extends TidingsError {
  override name = 'NonErrorThrownError'
  /** The handler name of the call. */
  readonly handler: string
  /** Parts of the thrown value that structured clone could not copy, as `path (why)`, e.g.
   *  `cause.callback (function)`; absent when everything crossed. */
  declare readonly uncloneableFields?: readonly string[]
  constructor(handler: string, message: string, value: { value: unknown } | undefined, uncloneable: readonly string[] = []) {
    super(message, value === undefined ? undefined : { cause: value.value })
    this.handler = handler
    if (uncloneable.length > 0) this.uncloneableFields = uncloneable
  }
}

/** A bad option given to createWorkerPool/connectWorker. */
/** Builds an InvalidWorkerOptionError (for core's checkNumber). */
export const workerOptionError = (option: string, input: unknown, rule: string): InvalidWorkerOptionError => new InvalidWorkerOptionError(option, input, rule)

export class InvalidWorkerOptionError extends InvalidOptionError {
  override name = 'InvalidWorkerOptionError'
  /** What was given (also `value`, as on every InvalidOptionError). */
  readonly input: unknown
  constructor(option: string, input: unknown, rule: string) {
    super(option, input, rule, `Invalid option ${option}: ${describe(input)}; ${rule}.`)
    this.input = input
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'object') return Object.prototype.toString.call(v).slice(8, -1)
  if (typeof v === 'string') return JSON.stringify(v)
  return `${typeof v} ${String(v)}`
}
