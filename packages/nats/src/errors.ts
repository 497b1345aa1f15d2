// Typed errors of @tidings/nats. They extend core's TidingsError so apps can match on `name`.
import { InvalidOptionError, TidingsError } from '@tidings/core'

/** An option passed to connectNats is invalid. */
export class NatsOptionError extends InvalidOptionError {
  override name = 'NatsOptionError'
  constructor(option: string, input: unknown, hint: string) {
    super(option, input, hint, `Invalid connectNats option "${option}" (${describe(input)}): ${hint}`)
  }
}

/** The server refused a publish or a subscription: the user lacks the permission. The connection
 *  stays up and every other subject keeps working. */
export class NatsPermissionError extends TidingsError {
  override name = 'NatsPermissionError'
  // `declare`d fields are set in the constructor only (no class-field initializers to ship).
  declare readonly operation: 'publish' | 'subscription'
  declare readonly subject: string
  constructor(operation: 'publish' | 'subscription', subject: string) {
    const pub = operation === 'publish'
    super(
      `The NATS server refused to let this user ${pub ? 'publish' : 'subscribe'} to "${subject}". ` +
        `Grant the permission in the server's authorization block, or narrow the bridge's share${pub ? '' : '/jetstream'} patterns.`,
    )
    this.operation = operation
    this.subject = subject
  }
}

/** The bridge could not connect, or JetStream refused a publish or a consumer. */
export class NatsConnectionError extends TidingsError {
  override name = 'NatsConnectionError'
  declare readonly reason: string
  constructor(what: string, reason: string) {
    super(`${what}: ${reason}. Check the servers option, the credentials and that the server enables WebSocket (and JetStream if used).`)
    this.reason = reason
  }
}

/** connectNats() needs an API this context does not provide: a global WebSocket (Node 20 has
 *  one only with --experimental-websocket). Thrown by connectNats() at once. */
export class NatsUnsupportedError extends TidingsError {
  override name = 'NatsUnsupportedError'
  declare readonly api: string
  declare readonly feature: string
  constructor(api: string, feature: string) {
    super(
      `${feature} needs ${api}, which this context does not provide. It runs in pages, Web Workers and Node 22+; ` +
        'on Node 20 start node with --experimental-websocket.',
    )
    this.api = api
    this.feature = feature
  }
}

/** A message on the bridge's subjects was not a valid Tidings event (or lied about its topic):
 *  counted in stats().malformed and ignored. */
export class NatsMalformedError extends TidingsError {
  override name = 'NatsMalformedError'
  declare readonly subject: string
  declare readonly reason: string
  constructor(subject: string, reason: string) {
    super(`Ignored a message on "${subject.slice(0, 200)}": ${reason}. Only Tidings bridges should publish on these subjects; restrict publish permissions.`)
    this.subject = subject
    this.reason = reason
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v)
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object'
  return `${typeof v} ${String(v)}`
}
