// Type-checked by scripts/consumer-test.mjs against the packed @tidings/nats (strict settings,
// skipLibCheck off): the bridge's public types must compile without the NATS client's own.
import { createBus } from '@tidings/core'
import { connectNats, NatsPermissionError, type NatsBridge, type NatsStats, type NatsStatus } from '@tidings/nats'

export function natsCheck(): NatsBridge {
  const bus = createBus<{ 'task.created': { id: number } }>({ name: 'nats-check' })
  const bridge = connectNats(bus, {
    servers: ['ws://127.0.0.1:9222'],
    share: 'task.**',
    subject: 'board',
    user: 'alice',
    pass: 'secret',
    leader: false,
    jetstream: { stream: 'BOARD', replay: { since: Date.now() - 60_000 } },
    connection: { reconnectTimeWait: 500, authenticator: () => ({ auth_token: 't' }) },
  })
  bridge.status$.subscribe((s: NatsStatus) => s satisfies string)
  bridge.errors$.subscribe(({ error }) => error instanceof NatsPermissionError && error.subject)
  const stats: NatsStats = bridge.stats()
  void stats.sent
  return bridge
}
