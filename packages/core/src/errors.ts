// Every error Tidings throws is one of these classes. `name` is stable (safe to match on across
// contexts, where instanceof does not survive structured clone) and the message says what to do.
// An error with an own `retryable: false` is terminal: a handler's retry loop ends at its first
// such failure (see isRetryable).
// Their fields are `declare`d and set in the constructor: ES2022 output would otherwise define
// each one first (as undefined), in every bundle.

export class TidingsError extends Error {
  override name = 'TidingsError'
}

/**
 * An option is invalid. The one option error of every Tidings package: the packages' own
 * (TabsOptionError, InvalidWorkerOptionError, DevtoolsOptionsError) extend it, so
 * `err instanceof InvalidOptionError` holds for all. `option` names the option, `value` is what
 * was given. `message`, when given, replaces the default wording (the packages keep theirs).
 */
export class InvalidOptionError extends TidingsError {
  override name = 'InvalidOptionError'
  // `declare`d: set in the constructor (see TidingsBus).
  declare readonly option: string
  declare readonly value: unknown
  constructor(option: string, value: unknown, expected: string, message?: string) {
    super(message ?? `Invalid option ${option}: ${safeString(value)}. Expected ${expected}.`)
    this.option = option
    this.value = value
  }
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : String(v)
  } catch {
    return typeof v
  }
}

/** A topic or pattern broke a rule. `input` is what was passed, `rule` the rule it broke. */
export class InvalidTopicError extends TidingsError {
  override name = 'InvalidTopicError'
  declare readonly input: unknown
  declare readonly rule: string
  constructor(
    input: unknown,
    rule: string,
    kind: 'topic' | 'pattern' = 'topic',
  ) {
    super(`Invalid ${kind} ${JSON.stringify(input)}: ${rule}`)
    this.input = input
    this.rule = rule
  }
}

/** A pattern uses '?', '[...]' or '{...}' while '@tidings/core/globs' is not loaded. */
export class GlobsNotLoadedError extends InvalidTopicError {
  override name = 'GlobsNotLoadedError'
  constructor(pattern: string) {
    super(
      pattern,
      "'?', '[...]' and '{...}' need `import '@tidings/core/globs'` once, at your app's entry (it bundles picomatch); " +
        "patterns made of literals, '*' and '**' need no import.",
      'pattern',
    )
  }
}

/** Event data failed the schema registered for its type; nothing was delivered. */
export class ValidationError extends TidingsError {
  override name = 'ValidationError'
  declare readonly type: string
  declare readonly issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> | undefined }>
  constructor(
    type: string,
    issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> | undefined }>,
    hint = '',
  ) {
    super(
      `Invalid data for event "${type}": ${issues
        .map((i) => (i.path?.length ? `${i.path.map(pathKey).join('.')}: ` : '') + i.message)
        .join('; ')}. Nothing was delivered${hint ? `; ${hint}` : ''}.`,
    )
    this.type = type
    this.issues = issues
  }
}

function pathKey(p: unknown): string {
  return typeof p === 'object' && p !== null && 'key' in p ? String((p as { key: unknown }).key) : String(p)
}

/** Publishing or subscribing on a guarded topic without the right key. */
export class SecurityError extends TidingsError {
  override name = 'SecurityError'
  declare readonly topic: string
  declare readonly action: 'publish' | 'subscribe'
  constructor(
    topic: string,
    action: 'publish' | 'subscribe',
  ) {
    super(`Not allowed to ${action} "${topic}": the topic is guarded; pass the right { key } in the options.`)
    this.topic = topic
    this.action = action
  }
}

/** The bus was shut down; create a new bus to publish again. Terminal: never retried. */
export class BusClosedError extends TidingsError {
  override name = 'BusClosedError'
  readonly retryable = false
  declare readonly bus: string
  constructor(bus: string, action = 'publish') {
    super(`Bus "${bus}" is shut down: cannot ${action}. Create a new bus with createBus().`)
    this.bus = bus
  }
}

/** A bounded queue was full and its strategy is 'reject' (or 'block' and the wait timed out). */
export class QueueFullError extends TidingsError {
  override name = 'QueueFullError'
  declare readonly type: string
  declare readonly subscriptionIds: readonly string[]
  declare readonly max: number
  constructor(
    type: string,
    subscriptionIds: readonly string[],
    max: number,
    detail = '',
  ) {
    super(
      `Queue full for "${type}" (max ${max}) on subscription(s) ${subscriptionIds.join(', ')}${detail}. ` +
        `Raise queue.max, use 'drop-oldest'/'drop-newest', or slow the publisher.`,
    )
    this.type = type
    this.subscriptionIds = subscriptionIds
    this.max = max
  }
}

/** An operation did not finish in time. */
export class TimeoutError extends TidingsError {
  override name = 'TimeoutError'
  declare readonly operation: string
  declare readonly timeoutMs: number
  constructor(
    operation: string,
    timeoutMs: number,
  ) {
    super(`${operation} timed out after ${timeoutMs} ms. Raise timeoutMs or check that the handler finishes.`)
    this.operation = operation
    this.timeoutMs = timeoutMs
  }
}

/** dispatch(..., { requireHandler: true }) found no handler. */
export class NoHandlerError extends TidingsError {
  override name = 'NoHandlerError'
  declare readonly type: string
  constructor(type: string) {
    super(`No handler subscribed to "${type}". Subscribe one before dispatching, or drop requireHandler.`)
    this.type = type
  }
}

/** request() found no responder registered with reply(). */
export class NoResponderError extends TidingsError {
  override name = 'NoResponderError'
  declare readonly type: string
  constructor(type: string) {
    super(`No responder for request "${type}". Register one with bus.reply("${type}", handler) first.`)
    this.type = type
  }
}

/** The responder (maybe in another context) threw; carries its error's name and message. */
export class RemoteError extends TidingsError {
  override name = 'RemoteError'
  declare readonly remoteName: string
  declare readonly remoteMessage: string
  declare readonly type: string
  constructor(
    remoteName: string,
    remoteMessage: string,
    type: string,
  ) {
    super(`Responder for "${type}" failed with ${remoteName}: ${remoteMessage}`)
    this.remoteName = remoteName
    this.remoteMessage = remoteMessage
    this.type = type
  }
}

/** A handler was cancelled before it finished (unsubscribe, shutdown). */
export class AbortedError extends TidingsError {
  override name = 'AbortedError'
  declare readonly reason: string
  constructor(reason: string) {
    super(`Aborted: ${reason}`)
    this.reason = reason
  }
}

/**
 * Whether a handler that threw `thrown` may be tried again (under its `retry` option). The
 * convention: any thrown object with an OWN property `retryable` set to `false` is terminal and
 * ends the retries at once (BusClosedError, the worker pool's WorkerPoolTerminatedError,
 * WorkerRestartLimitError and UnknownHandlerError). Everything else is retryable, including an
 * object whose `retryable` getter throws.
 */
export function isRetryable(thrown: unknown): boolean {
  try {
    // Object.hasOwn throws for null and undefined: retryable, like any other primitive.
    return !(Object.hasOwn(thrown as object, 'retryable') && (thrown as { retryable: unknown }).retryable === false)
  } catch {
    return true
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

/** encode() met a value that text cannot carry (a function, a symbol, a WeakMap, a Blob, a
 *  getter that threw...). `path` says where (`data.items[3].cb`), `kind` what it is. */
export class UnencodableValueError extends TidingsError {
  override name = 'UnencodableValueError'
  declare readonly path: string
  declare readonly kind: string
  constructor(path: string, kind: string, detail: string) {
    super(`${path} ${detail}. Nothing was encoded.`)
    this.path = path
    this.kind = kind
  }
}

/** decode() got text that encode() did not make (cut short, altered, or another format). */
export class MalformedEncodingError extends TidingsError {
  override name = 'MalformedEncodingError'
  declare readonly what: string
  declare readonly reason: string
  constructor(what: string, reason: string) {
    super(`${what} is not valid Tidings-encoded text (${reason}). Pass the text exactly as encode() made it; nothing was decoded.`)
    this.what = what
    this.reason = reason
  }
}

/** A method decorated with @subscribeTo or @publishes was called on an instance that no bus has
 *  registered (bus.register(instance)), or that was unregistered. `method` is `Class.method`. */
export class NotRegisteredError extends TidingsError {
  override name = 'NotRegisteredError'
  declare readonly method: string
  constructor(method: string) {
    super(`${method}() is decorated, but its instance is not registered on a bus: call bus.register(instance) first.`)
    this.method = method
  }
}

/** A lazy() handler's module failed to load, or has no such export. Every event that waited for
 *  that load fails with one; the next event tries the load again. `cause` is the load's error. */
export class LazyLoadError extends TidingsError {
  override name = 'LazyLoadError'
  declare readonly exportName: string
  constructor(exportName: string, reason: string, cause?: unknown) {
    super(`The lazy handler's module could not provide export "${exportName}": ${reason}. The next matching event tries the import again.`, { cause })
    this.exportName = exportName
  }
}
