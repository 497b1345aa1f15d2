// connectNats in a context without a global WebSocket (Node 20 without --experimental-websocket):
// a typed error at once, not a bridge that says 'connecting' forever (nats-core's connect never
// settles there). Node 20 here has no WebSocket; the stub makes sure of it on Node 22+ too.
import { createBus, TidingsError } from '@tidings/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { connectNats } from './connect-nats.js'
import { NatsUnsupportedError } from './errors.js'

afterEach(() => void vi.unstubAllGlobals())

describe('connectNats without a global WebSocket', () => {
  it('throws NatsUnsupportedError naming WebSocket and what to do, and leaves the bus alone', async () => {
    vi.stubGlobal('WebSocket', undefined)
    expect(typeof globalThis.WebSocket).toBe('undefined')
    const bus = createBus({ name: 'node' })
    let thrown: unknown
    try {
      const bridge = connectNats(bus, { servers: 'ws://127.0.0.1:9333', share: 'x.**' })
      // Before the fix: no error, and a bridge stuck in 'connecting'.
      thrown = `no error; status ${bridge.status}`
      await bridge.close()
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(TidingsError)
    expect(thrown).toBeInstanceOf(NatsUnsupportedError)
    expect(thrown).toMatchObject({
      name: 'NatsUnsupportedError',
      api: 'WebSocket',
      feature: 'connectNats()',
      message:
        'connectNats() needs WebSocket, which this context does not provide. It runs in pages, Web Workers and Node 22+; ' +
        'on Node 20 start node with --experimental-websocket.',
    })
    await bus.shutdown()
  })
})
