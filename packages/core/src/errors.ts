// Every error Tidings throws is one of these classes. `name` is stable (safe to match on across
// contexts, where instanceof does not survive structured clone) and the message says what to do.

export class TidingsError extends Error {
  override name = 'TidingsError'
}

/** A topic or pattern broke a rule. `input` is what was passed, `rule` the rule it broke. */
export class InvalidTopicError extends TidingsError {
  override name = 'InvalidTopicError'
  constructor(
    readonly input: unknown,
    readonly rule: string,
    kind: 'topic' | 'pattern' = 'topic',
  ) {
    super(`Invalid ${kind} ${JSON.stringify(input)}: ${rule}`)
  }
}

/** Event data failed the schema registered for its type; nothing was delivered. */
export class ValidationError extends TidingsError {
  override name = 'ValidationError'
  constructor(
    readonly type: string,
    readonly issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> }>,
    hint = '',
  ) {
    super(
      `Invalid data for event "${type}": ${issues
        .map((i) => (i.path?.length ? `${i.path.map(pathKey).join('.')}: ` : '') + i.message)
        .join('; ')}. Nothing was delivered${hint ? `; ${hint}` : ''}.`,
    )
  }
}

function pathKey(p: unknown): string {
  return typeof p === 'object' && p !== null && 'key' in p ? String((p as { key: unknown }).key) : String(p)
}

/** Publishing or subscribing on a guarded topic without the right key. */
export class SecurityError extends TidingsError {
  override name = 'SecurityError'
  constructor(
    readonly topic: string,
    readonly action: 'publish' | 'subscribe',
  ) {
    super(`Not allowed to ${action} "${topic}": the topic is guarded; pass the right { key } in the options.`)
  }
}

/** The bus was shut down; create a new bus to publish again. */
export class BusClosedError extends TidingsError {
  override name = 'BusClosedError'
  constructor(readonly bus: string, action = 'publish') {
    super(`Bus "${bus}" is shut down: cannot ${action}. Create a new bus with createBus().`)
  }
}

/** A bounded queue was full and its strategy is 'reject' (or 'block' and the wait timed out). */
export class QueueFullError extends TidingsError {
  override name = 'QueueFullError'
  constructor(
    readonly type: string,
    readonly subscriptionIds: readonly string[],
    readonly max: number,
    detail = '',
  ) {
    super(
      `Queue full for "${type}" (max ${max}) on subscription(s) ${subscriptionIds.join(', ')}${detail}. ` +
        `Raise queue.max, use 'drop-oldest'/'drop-newest', or slow the publisher.`,
    )
  }
}

/** An operation did not finish in time. */
export class TimeoutError extends TidingsError {
  override name = 'TimeoutError'
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`${operation} timed out after ${timeoutMs} ms. Raise timeoutMs or check that the handler finishes.`)
  }
}

/** dispatch(..., { requireHandler: true }) found no handler. */
export class NoHandlerError extends TidingsError {
  override name = 'NoHandlerError'
  constructor(readonly type: string) {
    super(`No handler subscribed to "${type}". Subscribe one before dispatching, or drop requireHandler.`)
  }
}

/** request() found no responder registered with reply(). */
export class NoResponderError extends TidingsError {
  override name = 'NoResponderError'
  constructor(readonly type: string) {
    super(`No responder for request "${type}". Register one with bus.reply("${type}", handler) first.`)
  }
}

/** The responder (maybe in another context) threw; carries its error's name and message. */
export class RemoteError extends TidingsError {
  override name = 'RemoteError'
  constructor(
    readonly remoteName: string,
    readonly remoteMessage: string,
    readonly type: string,
  ) {
    super(`Responder for "${type}" failed with ${remoteName}: ${remoteMessage}`)
  }
}

/** A handler was cancelled before it finished (unsubscribe, shutdown). */
export class AbortedError extends TidingsError {
  override name = 'AbortedError'
  constructor(readonly reason: string) {
    super(`Aborted: ${reason}`)
  }
}

/** Turns anything thrown into an Error, keeping name and message where there are any. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown
  if (typeof thrown === 'object' && thrown !== null && 'message' in thrown) {
    const e = new Error(String((thrown as { message: unknown }).message))
    const name = (thrown as { name?: unknown }).name
    if (typeof name === 'string') e.name = name
    return e
  }
  return new Error(typeof thrown === 'string' ? thrown : `Non-error thrown: ${String(thrown)}`)
}
