// What a bridge that cannot connect does and says, against a real nats-server in real Chromium:
// connection.maxReconnectAttempts bounds the attempts (first connection and after a drop), and
// every connection error names the servers, the cause and what was done about it.
import { commands } from 'vitest/browser'
import { describe, expect, it } from 'vitest'
import { NatsConnectionError, NatsOptionError } from './errors.js'
import { device, useNatsServer, waitFor } from './test-helpers.js'
import type { NatsBridge, NatsConnectionOptions, NatsIssue, NatsStatus } from './types.js'

const ctx = useNatsServer()

/** Nothing listens on these loopback ports (9: discard, 7: echo; no such services here). */
const NOWHERE = 'ws://127.0.0.1:9'
const NOWHERE_2 = 'ws://127.0.0.1:7'
/** What nats-core reports for a WebSocket that fails to open (an error event without a message). */
const NO_REASON =
  "ConnectionError with no reason (a WebSocket that fails to open does not say why: usually nothing listens on that host and port, it is not the server's websocket port, or ws:// and wss:// do not match its TLS)"
const CHECK = '. Check the servers option, the credentials and that the server enables WebSocket (and JetStream if used).'

function watch(bridge: NatsBridge): { statuses: NatsStatus[]; issues: NatsIssue[] } {
  const statuses: NatsStatus[] = []
  const issues: NatsIssue[] = []
  bridge.status$.subscribe((s) => statuses.push(s))
  bridge.errors$.subscribe((i) => issues.push(i))
  return { statuses, issues }
}

describe('connectNats: failing connections', () => {
  it('maxReconnectAttempts: 1 and nothing listening: two attempts, then closed, with one error naming the server and the cause', async () => {
    const d = device({ ...ctx.server, ws: NOWHERE }, { share: 'x.**', connection: { reconnectTimeWait: 50, maxReconnectAttempts: 1 } })
    const { statuses, issues } = watch(d.bridge)
    await waitFor(() => d.bridge.status === 'closed', 'the bridge to give up')
    expect(statuses).toEqual(['connecting', 'closed'])
    expect(issues.map((i) => i.kind)).toEqual(['connection'])
    const error = issues[0]!.error
    expect(error).toBeInstanceOf(NatsConnectionError)
    expect(error.message).toBe(
      `connectNats() could not connect to ${NOWHERE}: ${NO_REASON}; gave up after 2 attempts (connection.maxReconnectAttempts: 1)${CHECK}`,
    )
    // whenConnected() says why, with the same error.
    await expect(d.bridge.whenConnected()).rejects.toBe(error)
  })

  it('maxReconnectAttempts: 0 with two servers: one attempt at each, and the error names both', async () => {
    const d = device({ ...ctx.server, ws: NOWHERE }, { servers: [NOWHERE, NOWHERE_2], connection: { maxReconnectAttempts: 0 } })
    const { statuses, issues } = watch(d.bridge)
    await waitFor(() => d.bridge.status === 'closed', 'the bridge to give up')
    expect(statuses).toEqual(['connecting', 'closed'])
    expect(issues.map((i) => i.error.message)).toEqual([
      `connectNats() could not connect to ${NOWHERE}, ${NOWHERE_2}: ${NO_REASON}; gave up after 1 attempt (connection.maxReconnectAttempts: 0)${CHECK}`,
    ])
  })

  it('maxReconnectAttempts: 0 or 1 with a dead server listed first: the live second server is tried and connected to, every time', async () => {
    // nats-core's first dial dropped the second server from its pool after the first failed when
    // the limit was 0 or 1 (so this connected in about half the runs). noRandomize (a nats-core
    // option the bridge passes through, not in its own types) puts the dead server first every time.
    for (const max of [0, 1, 0, 1]) {
      const d = device(ctx.server, { servers: [NOWHERE, ctx.server.ws], connection: { maxReconnectAttempts: max, noRandomize: true } as NatsConnectionOptions })
      const { issues } = watch(d.bridge)
      await d.bridge.whenConnected()
      expect(d.bridge.status).toBe('connected')
      expect(issues).toEqual([])
      d.bridge.close()
    }
  })

  it('a maxReconnectAttempts other than -1 or a whole number of attempts throws NatsOptionError naming it', async () => {
    const { connectNats } = await import('./connect-nats.js')
    const { createBus } = await import('@tidings/core')
    const bus = createBus()
    for (const bad of [Number.NaN, -2, 1.5, '3' as unknown as number]) {
      expect(() => connectNats(bus, { servers: NOWHERE, connection: { maxReconnectAttempts: bad } })).toThrow(NatsOptionError)
      expect(() => connectNats(bus, { servers: NOWHERE, connection: { maxReconnectAttempts: bad } })).toThrow(
        /^Invalid connectNats option "connection\.maxReconnectAttempts" \(.+\): use -1 \(never give up\) or a whole number ≥ 0$/,
      )
    }
    await bus.shutdown()
  })

  it('by default (-1) keeps trying until close(), and says so once', async () => {
    const d = device({ ...ctx.server, ws: NOWHERE }, { share: 'x.**' })
    const { statuses, issues } = watch(d.bridge)
    await waitFor(() => issues.length === 1, 'the first failure')
    expect(issues[0]!.error.message).toBe(
      `connectNats() could not connect to ${NOWHERE}: ${NO_REASON}; retrying until close() (connection.maxReconnectAttempts: -1)${CHECK}`,
    )
    expect(d.bridge.status).toBe('connecting')
    await d.bridge.close()
    expect(statuses).toEqual(['connecting', 'closed'])
    expect(issues).toHaveLength(1)
    await expect(d.bridge.whenConnected()).rejects.toThrow('connectNats(): the bridge was closed before it connected')
  })

  it('wrong credentials: not retried, closed, and the error names the server and the refusal', async () => {
    const d = device(ctx.server, { share: 'x.**', user: 'device', pass: 'wrong' })
    const { statuses, issues } = watch(d.bridge)
    await waitFor(() => d.bridge.status === 'closed', 'the bridge to close')
    expect(statuses).toEqual(['connecting', 'closed'])
    expect(issues.map((i) => i.error.message)).toEqual([
      `connectNats() could not connect to ${ctx.server.ws}: AuthorizationError: Authorization Violation; not retried${CHECK}`,
    ])
    await expect(d.bridge.whenConnected()).rejects.toBe(issues[0]!.error)
  })

  it('maxReconnectAttempts: 1 after a connection: the server goes away, one reconnect attempt, then closed with one error', async () => {
    const d = device(ctx.server, { share: 'x.**', connection: { reconnectTimeWait: 50, maxReconnectAttempts: 1 } })
    await d.bridge.whenConnected()
    const { statuses, issues } = watch(d.bridge)
    await commands.natsDown(ctx.server.id)
    try {
      await waitFor(() => d.bridge.status === 'closed', 'the bridge to give up')
    } finally {
      await commands.natsUp(ctx.server.id)
    }
    expect(statuses).toEqual(['connected', 'reconnecting', 'closed'])
    expect(issues.map((i) => [i.kind, i.error.message])).toEqual([
      ['connection', `connectNats(): the connection to ${ctx.server.ws} closed: ${NO_REASON}; the client stopped reconnecting (connection.maxReconnectAttempts: 1)${CHECK}`],
    ])
    await expect(d.bridge.whenConnected()).rejects.toBe(issues[0]!.error)
  })
})
