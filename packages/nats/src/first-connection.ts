// The first connection of a bridge (or of a new leader tab), and what its failures say. The bridge
// retries it itself rather than with the client's waitOnFirstConnect, which cannot be stopped and
// never gives up: here close() (or losing the lead) ends the attempts, and
// connection.maxReconnectAttempts keeps the meaning it has in nats.js (reconnect attempts per
// server; -1 never gives up), so a first connection is tried 1 + maxReconnectAttempts times.
// Loaded with wire-part.ts, before the first connection: nothing here is paid for up front.
import { wsconnect, type ConnectionOptions, type NatsConnection } from '@nats-io/nats-core'
import { describeError } from '@tidings/core/bridge'
import { NatsConnectionError } from './errors.js'

export interface FirstConnectionHooks {
  /** False once the bridge closed, or this start was superseded (the tab lost the lead). */
  live(): boolean
  connected(c: NatsConnection): void
  /** The first failure, when the attempts go on until close() (reported once; with a limit, only
   *  giving up is reported). */
  failing(error: NatsConnectionError): void
  /** No more attempts: the server refused the credentials, or maxReconnectAttempts is spent. */
  gaveUp(error: NatsConnectionError): void
}

/** Connects to `servers` (each tried once per attempt, by wsconnect), waiting
 *  reconnectTimeWait × n ms (at most 5 s) before attempt n + 1. Never throws. */
export function connectFirst(opts: ConnectionOptions, servers: readonly string[], hooks: FirstConnectionHooks): void {
  const max = opts.maxReconnectAttempts ?? -1
  // Each attempt dials with no limit of the client's own, and the limit is set on the connection
  // once it is up (for its reconnects). nats-core 3.4's first dial drops a server that failed
  // from its pool, and with a limit of 0 or 1 then drops one more (the pool's last), so with two
  // servers and the first one down the second was never tried, in about half the attempts (the
  // pool is shuffled). With no limit, one attempt is one dial of every server.
  const dial: ConnectionOptions = { ...opts, maxReconnectAttempts: -1 }
  const attempt = (n: number): void => {
    wsconnect(dial).then(
      (c) => {
        const live = (c as unknown as { options?: ConnectionOptions }).options
        if (live !== undefined) live.maxReconnectAttempts = max
        return hooks.live() ? hooks.connected(c) : void c.close().catch(() => {})
      },
      (err: unknown) => {
        if (!hooks.live()) return
        if (err instanceof Error && err.name === 'AuthorizationError') return hooks.gaveUp(connectError(servers, err, 'not retried'))
        if (max >= 0 && n > max) return hooks.gaveUp(connectError(servers, err, `gave up after ${n} attempt${n === 1 ? '' : 's'} (connection.maxReconnectAttempts: ${max})`))
        if (n === 1 && max < 0) hooks.failing(connectError(servers, err, `retrying until close() (connection.maxReconnectAttempts: ${max})`))
        setTimeout(() => attempt(n + 1), Math.min(5000, (opts.reconnectTimeWait ?? 250) * n))
      },
    )
  }
  attempt(1)
}

/** The client stopped reconnecting a connection that had been up (maxReconnectAttempts spent
 *  after a disconnect, or the server revoked the credentials). */
export function connectionClosed(servers: readonly string[], err: Error | void, max: number | undefined): NatsConnectionError {
  return new NatsConnectionError(
    `connectNats(): the connection to ${servers.join(', ')} closed`,
    `${err ? cause(err) + '; ' : ''}the client stopped reconnecting (connection.maxReconnectAttempts: ${max ?? -1})`,
  )
}

function connectError(servers: readonly string[], err: unknown, then: string): NatsConnectionError {
  return new NatsConnectionError(`connectNats() could not connect to ${servers.join(', ')}`, `${cause(err)}; ${then}`)
}

/** The client's error, and what an empty one means: a WebSocket that fails to open gives only an
 *  error event, with no reason (browsers hide it on purpose), which nats-core turns into a
 *  ConnectionError with an empty message. */
function cause(err: unknown): string {
  if (err instanceof Error && err.message === '')
    return `${err.name} with no reason (a WebSocket that fails to open does not say why: usually nothing listens on that host and port, it is not the server's websocket port, or ws:// and wss:// do not match its TLS)`
  // Node's WebSocket ends its message with a period; the sentence goes on after it.
  return describeError(err).replace(/\.$/, '')
}
