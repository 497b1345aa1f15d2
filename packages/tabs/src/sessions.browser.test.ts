// Sessions, presence and forged control traffic on a channel without a key, in real Chromium:
// nothing a script of the origin posts can mute, evict or crowd out a live tab.
import { incarnationOf } from '@tidings/core/bridge'
import { describe, expect, it } from 'vitest'
import { broadcast } from './broadcast.js'
import type { PeerChange } from './peers.js'
import { batch, envelope, sleep, tabHarness, uniqueChannel, waitFor } from './test-helpers.js'

const { tab, raw } = tabHarness()

describe('sessions', () => {
  it('one forged seq of 2^53 - 1 in a live tab\'s name does not mute it: its next 100 events arrive', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    a.bus.publish('chat.message', 'first')
    await waitFor(() => b.got.length === 1, 'the first event')
    const forged = { ...envelope(a.bus.origin, Number.MAX_SAFE_INTEGER, 'chat.message', 'forged') }
    broadcast(raw(ch), batch('mallory', [forged], [-1], true, incarnationOf(a.bus)))
    await waitFor(() => b.got.length === 2, 'the forged event (it is delivered, as any publish would be)')
    for (let i = 0; i < 100; i++) a.bus.publish('chat.message', i)
    await waitFor(() => b.got.length === 102, 'the next 100 real events')
    expect(b.got.slice(2).map((e) => e.data)).toEqual([...Array(100).keys()])
    expect(b.bridge.stats()).toMatchObject({ received: 102, duplicates: 0, implausible: 1 })
  })

  it('a tab that comes back with the same explicit origin is a new session and is heard', async () => {
    const ch = uniqueChannel()
    const b = tab(ch)
    const first = tab(ch, {}, { origin: 'tab-kept' })
    for (let i = 0; i < 50; i++) first.bus.publish('chat.message', `first ${i}`)
    await waitFor(() => b.got.length === 50, 'the first incarnation')
    await first.bridge.close()
    await first.bus.shutdown()
    const again = tab(ch, {}, { origin: 'tab-kept' }) // e.g. kept in sessionStorage across a reload
    for (let i = 0; i < 50; i++) again.bus.publish('chat.message', `again ${i}`)
    await waitFor(() => b.got.length === 100, 'all 50 events of the new incarnation')
    expect(b.got.slice(50).map((e) => e.data)).toEqual([...Array(50).keys()].map((i) => `again ${i}`))
    expect(b.bridge.stats()).toMatchObject({ received: 100, duplicates: 0 })
  })
})

describe('presence under forged control traffic', () => {
  it('a forged bye does not remove a live peer: it answers the probe and stays', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, { heartbeatMs: 200 }, { name: 'tab-a' })
    const b = tab(ch, { heartbeatMs: 200 }, { name: 'tab-b' })
    await waitFor(() => a.bridge.peers().length === 1, 'a to see b')
    const changes: PeerChange[] = []
    a.bridge.peerChanges$.subscribe((c) => changes.push(c))
    broadcast(raw(ch), { tag: 'tidings.tabs', v: 1, kind: 'bye', from: b.bridge.id })
    await sleep(900) // past the grace period (500 ms)
    expect(a.bridge.peers().map((p) => p.name)).toEqual(['tab-b'])
    expect(changes).toEqual([])
    expect(a.bridge.stats().contradicted).toBe(1)
    // A real bye still removes it, after the probe goes unanswered.
    await b.bridge.close()
    await waitFor(() => a.bridge.peers().length === 0, 'b to leave')
    expect(changes.map((c) => [c.kind, c.kind === 'leave' ? c.reason : ''])).toEqual([['leave', 'bye']])
  })

  it('2000 forged hellos neither keep a real new tab out nor make tabs flood the channel', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, { heartbeatMs: 1000 }, { name: 'tab-a' })
    const bc = raw(ch)
    let answers = 0
    bc.addEventListener('message', (m) => {
      const d = m.data as { kind?: string; from?: string; ask?: boolean }
      if (d.kind === 'heartbeat' && d.from === a.bridge.id && !d.ask) answers++
    })
    await sleep(50)
    for (let i = 0; i < 2000; i++)
      broadcast(bc, { tag: 'tidings.tabs', v: 1, kind: 'hello', from: `fake-${i}`, origin: `fake-${i}`, incarnation: 'f', name: 'fake', ask: true })
    await waitFor(() => a.bridge.peers().length === 1024, 'the table to fill up')
    const late = tab(ch, { heartbeatMs: 1000 }, { name: 'tab-late' })
    await waitFor(() => a.bridge.peers().some((p) => p.name === 'tab-late'), 'the real new tab to be listed')
    expect(a.bridge.peers().length).toBe(1024)
    await sleep(300)
    // 2000 asks in one burst: answered a handful of times, not 2000.
    expect(answers).toBeGreaterThanOrEqual(1)
    expect(answers).toBeLessThanOrEqual(3)
    expect(late.bridge.peers().map((p) => p.name)).toContain('tab-a')
  })
})
