// Plain Node ESM, no bundler: what the packed @tidings/nats does where it cannot connect. Run by
// scripts/consumer-test.mjs from inside the consumer app twice on Node 20: as is (no global
// WebSocket: connectNats() throws NatsUnsupportedError) and with --experimental-websocket (a
// port nothing listens on, maxReconnectAttempts 0: one error naming the server, then closed).
import assert from 'node:assert/strict'
import { createBus, TidingsError } from '@tidings/core'
import { connectNats, NatsConnectionError, NatsUnsupportedError } from '@tidings/nats'

const bus = createBus({ name: 'node-nats' })
const servers = 'ws://127.0.0.1:9' // the discard port: nothing listens on it here
if (typeof WebSocket === 'undefined') {
  assert.throws(
    () => connectNats(bus, { servers }),
    (err) =>
      err instanceof NatsUnsupportedError &&
      err instanceof TidingsError &&
      err.api === 'WebSocket' &&
      /needs WebSocket.*Node 22\+.*--experimental-websocket/.test(err.message),
  )
  console.log('node-nats-check: without a global WebSocket connectNats() throws NatsUnsupportedError', process.version)
} else {
  const bridge = connectNats(bus, { servers, connection: { maxReconnectAttempts: 0 } })
  const issues = []
  bridge.errors$.subscribe((i) => issues.push(i))
  const why = await bridge.whenConnected().then(
    () => assert.fail('connected to a port nothing listens on'),
    (err) => err,
  )
  assert.equal(bridge.status, 'closed')
  assert.equal(issues.length, 1)
  assert.equal(issues[0].error, why)
  assert.ok(why instanceof NatsConnectionError)
  assert.match(why.message, /^connectNats\(\) could not connect to ws:\/\/127\.0\.0\.1:9: ConnectionError\b.+; gave up after 1 attempt \(connection\.maxReconnectAttempts: 0\)\. Check the servers option/)
  console.log('node-nats-check: with WebSocket, maxReconnectAttempts 0 gives up with one error:', why.message.slice(0, 120) + '…', process.version)
}
await bus.shutdown()
