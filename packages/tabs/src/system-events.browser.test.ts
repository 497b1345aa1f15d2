// '$tidings.tabs.peer.joined' / '.left': one system event per peer change, through real
// BroadcastChannels (two buses in one page behave like two tabs).
import { describe, expect, it } from 'vitest'
import type { TidingsEvent } from '@tidings/core'
import { tabHarness, uniqueChannel, waitFor } from './test-helpers.js'

const { tab } = tabHarness()

describe('connectTabs: system events', () => {
  it('publishes a joined and a left event per peer, with channel, peer id, origin and reason', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, { heartbeatMs: 100, peerTimeoutMs: 1500 }, { origin: 'origin-a' })
    const seen: TidingsEvent[] = []
    a.bus.subscribe('$tidings.tabs.**', (e) => void seen.push(e))
    const b = tab(ch, { heartbeatMs: 100, peerTimeoutMs: 1500 }, { origin: 'origin-b' })
    await waitFor(() => a.bridge.peers().length === 1, 'b to join')
    const peerId = a.bridge.peers()[0]!.id
    await b.bridge.close()
    await waitFor(() => a.bridge.peers().length === 0, 'b to leave')
    expect(seen.map((e) => [e.type, e.data])).toEqual([
      ['$tidings.tabs.peer.joined', { channel: ch, peer: peerId, origin: 'origin-b' }],
      ['$tidings.tabs.peer.left', { channel: ch, peer: peerId, origin: 'origin-b', reason: 'bye' }],
    ])
    // Local: the bridge never forwards a system event to the other tabs.
    expect(seen.every((e) => a.bus.bridgedBy(e) === undefined)).toBe(true)
  })
})
