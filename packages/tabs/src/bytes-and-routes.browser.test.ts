// Tabs batches bounded by bytes, and a receiving tab that skips events nothing in it subscribes
// to without reading their data, while dedupe and gaps still see their seqs. Real
// BroadcastChannels in Chromium (two buses in one page are two tabs).
import { createBus, type TidingsEvent } from '@tidings/core'
import { incarnationOf } from '@tidings/core/bridge'
import { describe, expect, it } from 'vitest'
import { broadcast } from './broadcast.js'
import { connectTabs } from './connect-tabs.js'
import { batch, envelope, settled, tabHarness, uniqueChannel, waitFor } from './test-helpers.js'

const { tab, raw, cleanups } = tabHarness()

/** A tab whose bus subscribes to `types` only (no catch-all subscriber). */
function narrowTab(channel: string, types: string[]) {
  const bus = createBus()
  const bridge = connectTabs(bus, { channel, share: 'chat.**' })
  const got: TidingsEvent[] = []
  for (const t of types) bus.subscribe(t, (e) => void got.push(e))
  cleanups.push(() => bridge.close(), () => bus.shutdown())
  return { bus, bridge, got }
}

describe('tabs batches bounded by bytes', () => {
  it('splits a burst by estimated bytes into several messages, in order, none lost', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, { maxBatchBytes: 50_000 })
    const b = tab(ch)
    await Promise.all([a.bridge.ready, b.bridge.ready])
    const pad = 'p'.repeat(20_000)
    for (let i = 0; i < 20; i++) a.bus.publish('chat.big', { i, pad })
    await waitFor(() => b.got.length === 20, '20 large events')
    expect(b.got.map((e) => (e.data as { i: number }).i)).toEqual([...Array(20).keys()])
    expect(b.got.every((e) => (e.data as { pad: string }).pad === pad)).toBe(true)
    // Two ~20 KB events fit under 50 KB: at least 10 messages.
    expect(a.bridge.stats().batchesSent).toBeGreaterThanOrEqual(10)
    expect(a.bridge.stats().sent).toBe(20)
  })
})

describe('a receiving tab with no route for a type', () => {
  it('skips those events unread, still delivers the routed ones in order, and follows new subscriptions', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = narrowTab(ch, ['chat.want'])
    await Promise.all([a.bridge.ready, b.bridge.ready])
    for (let i = 0; i < 10; i++) {
      a.bus.publish('chat.want', { i })
      a.bus.publish('chat.skip', { i })
    }
    await waitFor(() => b.got.length === 10, 'the 10 routed events')
    await settled(() => b.bridge.stats().unrouted, (n) => n)
    expect(b.got.map((e) => [e.type, (e.data as { i: number }).i])).toEqual([...Array(10).keys()].map((i) => ['chat.want', i]))
    const s = b.bridge.stats()
    expect([s.received, s.unrouted, s.duplicates, s.gaps, s.malformed]).toEqual([10, 10, 0, 0, 0])
    // A subscription made now receives the next events of that type.
    b.bus.subscribe('chat.skip', (e) => void b.got.push(e))
    a.bus.publish('chat.skip', { i: 10 })
    await waitFor(() => b.got.length === 11, 'chat.skip after subscribing')
    expect([b.got[10]!.type, b.got[10]!.data]).toEqual(['chat.skip', { i: 10 }])
    expect(b.bridge.stats().unrouted).toBe(10)
  })

  it('keeps dedupe and gaps right: a replayed skipped seq is a duplicate even once routed, a hole after skipped events is one gap', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, {}, { origin: 'tab-a' })
    const b = narrowTab(ch, ['chat.want'])
    await Promise.all([a.bridge.ready, b.bridge.ready])
    // Six events: even ones routed in b, odd ones skipped (seqs read from their ids).
    const seq = [...Array(6).keys()].map((i) => Number(a.bus.publish(i % 2 === 0 ? 'chat.want' : 'chat.skip', { i }).id.slice('tab-a:'.length)))
    await waitFor(() => b.got.length === 3, 'the 3 routed events')
    await settled(() => b.bridge.stats().unrouted, (n) => n)
    expect(b.bridge.stats().unrouted).toBe(3)
    const inc = incarnationOf(a.bus)
    const mallory = raw(ch)
    // Replays in a's session: skipped seq 1 now typed as a routed event, routed seq 2 typed as
    // an unrouted one, and skipped seq 3 as it was. All three are duplicates.
    broadcast(mallory, batch('mallory', [envelope('tab-a', seq[1]!, 'chat.want'), envelope('tab-a', seq[2]!, 'chat.skip'), envelope('tab-a', seq[3]!, 'chat.skip')], [seq[0]!, seq[1]!, seq[2]!], true, inc))
    await waitFor(() => b.bridge.stats().duplicates === 3, 'three duplicates')
    expect(b.got).toHaveLength(3)
    // A hole: seq +4 with prev +3 after the last one is one gap, reported although it is skipped.
    const last = seq[5]!
    broadcast(mallory, batch('mallory', [envelope('tab-a', last + 4, 'chat.skip')], [last + 3], true, inc))
    await waitFor(() => b.bridge.stats().gaps === 1, 'one gap')
    const s = b.bridge.stats()
    expect([s.received, s.unrouted, s.duplicates, s.gaps]).toEqual([3, 4, 3, 1])
    // A malformed skipped-type event is still judged by the full path (counted, never thrown).
    broadcast(mallory, batch('mallory', [{ ...envelope('tab-a', last + 5, 'chat.skip'), timestamp: 'late' }], [last + 4], true, inc))
    await waitFor(() => b.bridge.stats().malformed === 1, 'one malformed')
    expect(b.bridge.stats().unrouted).toBe(4)
  })
})
