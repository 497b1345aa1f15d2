// Real BroadcastChannel in headless Chromium: two buses in one page, each with its own bridge
// (hence its own channel object), behave like two tabs.
import { describe, expect, it } from 'vitest'
import { createBus, InvalidTopicError } from '@tidings/core'
import { broadcast } from './broadcast.js'
import { connectTabs } from './connect-tabs.js'
import type { PeerChange, TabPeer } from './peers.js'
import type { TabsIssue } from './tabs-types.js'
import { batch, envelope, settled, sleep, tabHarness, uniqueChannel, waitFor, withColumns } from './test-helpers.js'
import { bridgeHost } from '@tidings/core/bridge'

const { tab, raw, cleanups } = tabHarness()

describe('connectTabs: sharing', () => {
  it('shares matching events both ways with their envelope intact, and keeps the rest home', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    const sent = a.bus.publish('chat.message', { text: 'hi from a' }, { correlationId: 'c-1', metadata: { m: 1 } })
    a.bus.publish('secret.thing', { no: true }) // does not match share
    a.bus.publish('chat.private', { no: true }, { local: true }) // local never leaves
    b.bus.publish('chat.reply', { text: 'hi from b' })
    await waitFor(() => b.got.length === 1 && a.got.length === 1, 'one event each way')
    await sleep(50)
    expect(b.got.map((e) => e.type)).toEqual(['chat.message'])
    const e = b.got[0]!
    expect(e.id).toBe(sent.id)
    expect(e.origin).toBe(a.bus.origin)
    expect(e.data).toEqual({ text: 'hi from a' })
    expect(e.correlationId).toBe('c-1')
    expect(e.metadata).toEqual({ m: 1 })
    expect(b.bus.bridgedBy(e)).toBe('tabs')
    expect(a.got.map((x) => [x.type, x.origin, x.data])).toEqual([['chat.reply', b.bus.origin, { text: 'hi from b' }]])
    expect(a.bridge.stats()).toMatchObject({ sent: 1, received: 1, malformed: 0, duplicates: 0, gaps: 0 })
  })

  it('closes itself when its bus shuts down, and peers see it leave', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, { heartbeatMs: 50 })
    const quiet = createBus({ name: 'quiet' })
    const q = connectTabs(quiet, { channel: ch, heartbeatMs: 50 }) // shares nothing
    const shared = createBus({ name: 'shared' })
    const s = connectTabs(shared, { channel: ch, share: 'chat.**', heartbeatMs: 50 })
    await waitFor(() => a.bridge.peers().length === 2, 'two peers')
    await quiet.shutdown()
    await shared.shutdown()
    await waitFor(() => q.closed && s.closed, 'both bridges to close')
    await waitFor(() => a.bridge.peers().length === 0, 'both to leave')
  })

  it('shares nothing by default', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, { share: [] })
    const b = tab(ch)
    a.bus.publish('chat.message', 1)
    await sleep(100)
    expect(b.got).toEqual([])
    expect(a.bridge.stats().sent).toBe(0)
  })

  it('coalesces everything published in one task into one postMessage', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    const wire: unknown[] = []
    raw(ch).addEventListener('message', (m) => {
      if ((m.data as { kind?: string }).kind === 'batch') wire.push(m.data)
    })
    for (let i = 0; i < 500; i++) a.bus.publish('chat.message', i)
    await waitFor(() => b.got.length === 500, '500 events')
    expect(wire.length).toBe(1)
    expect((wire[0] as { batch: { n: number } }).batch.n).toBe(500)
    expect(a.bridge.stats()).toMatchObject({ sent: 500, batchesSent: 1 })
    expect(b.got.map((e) => e.data)).toEqual([...Array(500).keys()])
  })

  it('splits a batch larger than maxBatch and keeps order', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, { maxBatch: 64 })
    const b = tab(ch)
    for (let i = 0; i < 1000; i++) a.bus.publish('chat.message', i)
    await waitFor(() => b.got.length === 1000, '1000 events')
    expect(a.bridge.stats().batchesSent).toBe(Math.ceil(1000 / 64))
    expect(b.got.map((e) => e.data)).toEqual([...Array(1000).keys()])
  })

  it('keeps order under 10k events sent across many tasks, with no duplicates and no gaps', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 500; i++) a.bus.publish('chat.message', round * 500 + i)
      await Promise.resolve()
      if (round % 5 === 0) await sleep(0)
    }
    await waitFor(() => b.got.length >= 10_000, '10k events')
    await sleep(50)
    expect(b.got.length).toBe(10_000)
    expect(b.got.every((e, i) => e.data === i)).toBe(true)
    expect(new Set(b.got.map((e) => e.id)).size).toBe(10_000)
    expect(b.bridge.stats()).toMatchObject({ received: 10_000, duplicates: 0, gaps: 0, outOfOrder: 0, malformed: 0 })
  })

  it('does not loop or duplicate with four tabs all publishing', async () => {
    const ch = uniqueChannel()
    const tabs = [tab(ch), tab(ch), tab(ch), tab(ch)]
    tabs.forEach((t, i) => {
      for (let n = 0; n < 50; n++) t.bus.publish('chat.message', { tab: i, n })
    })
    await waitFor(() => tabs.every((t) => t.got.length === 150), 'each tab to get the 150 events of the other three')
    await sleep(150)
    tabs.forEach((t, i) => {
      expect(t.got.length).toBe(150)
      expect(t.got.some((e) => (e.data as { tab: number }).tab === i)).toBe(false)
      expect(new Set(t.got.map((e) => e.id)).size).toBe(150)
      // per-origin order
      for (const other of tabs.filter((o) => o !== t)) {
        const ns = t.got.filter((e) => e.origin === other.bus.origin).map((e) => (e.data as { n: number }).n)
        expect(ns).toEqual([...Array(50).keys()])
      }
      expect(t.bridge.stats()).toMatchObject({ sent: 50, received: 150, duplicates: 0, echoes: 0 })
    })
  })

  it('forwards events another bridge (a worker) injected, but never re-sends what it ingested', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    const c = tab(ch)
    // What a worker bridge does on tab A: ingest a foreign envelope.
    bridgeHost(a.bus, 'test').ingest(envelope('worker-1', 0, 'chat.fromWorker', 'w0'), 'worker')
    bridgeHost(a.bus, 'test').ingest(envelope('worker-1', 1, 'chat.fromWorker', 'w1'), 'worker')
    await waitFor(() => b.got.length === 2 && c.got.length === 2, 'the worker events in B and C')
    await sleep(100)
    for (const t of [b, c]) {
      expect(t.got.map((e) => [e.origin, e.data])).toEqual([
        ['worker-1', 'w0'],
        ['worker-1', 'w1'],
      ])
      expect(t.bridge.stats().sent).toBe(0) // B and C ingested them from tabs: never re-sent
    }
    expect(a.got.length).toBe(0)
    expect(a.bridge.stats().sent).toBe(2)
  })

  it('refuses a second bridge of one bus on one channel, and allows it again after close', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    expect(() => connectTabs(a.bus, { channel: ch })).toThrow(expect.objectContaining({ name: 'TabsOptionError', option: 'channel' }))
    const other = connectTabs(a.bus, { channel: uniqueChannel() })
    await other.close()
    await a.bridge.close()
    const again = connectTabs(a.bus, { channel: ch, share: 'chat.**' })
    cleanups.push(() => again.close())
    const b = tab(ch)
    a.bus.publish('chat.message', 'after reconnect')
    await waitFor(() => b.got.length === 1, 'the event through the new bridge')
    expect(b.got[0]!.data).toBe('after reconnect')
  })

  it('keeps seq order when a handler publishes from inside publish', async () => {
    const ch = uniqueChannel()
    const bus = createBus()
    cleanups.push(() => bus.shutdown())
    // Subscribed before the bridge: the re-entrant event reaches the bridge before its cause.
    bus.subscribe('chat.question', (e) => {
      bus.publish('chat.answer', { to: e.seq })
    })
    const bridge = connectTabs(bus, { channel: ch, share: 'chat.**' })
    cleanups.push(() => bridge.close())
    const b = tab(ch)
    for (let i = 0; i < 10; i++) bus.publish('chat.question', i)
    await waitFor(() => b.got.length === 20, '20 events')
    await sleep(50)
    // Consecutive from the first (the bus's own local system events may have used earlier seqs).
    const s0 = b.got[0]!.seq
    expect(b.got.map((e) => e.seq)).toEqual([...Array(20).keys()].map((i) => s0 + i))
    expect(b.got.slice(0, 2).map((e) => e.type)).toEqual(['chat.question', 'chat.answer'])
    expect(b.bridge.stats()).toMatchObject({ received: 20, outOfOrder: 0, duplicates: 0, gaps: 0 })
  })

  it('redacts outgoing events and can keep some home', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, {
      redact: (e) => (e.type === 'chat.keep' ? null : { ...e, data: { ...(e.data as object), password: undefined } }),
    })
    const b = tab(ch)
    a.bus.publish('chat.keep', { x: 1 })
    a.bus.publish('chat.login', { user: 'u', password: 'hunter2' })
    await waitFor(() => b.got.length === 1, 'the redacted event')
    await sleep(50)
    expect(b.got[0]!.type).toBe('chat.login')
    expect(b.got[0]!.data).toEqual({ user: 'u', password: undefined })
  })

  it('counts an uncloneable event and still sends the rest of its batch', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    const issues: TabsIssue[] = []
    a.bridge.issues$.subscribe((i) => issues.push(i))
    a.bus.publish('chat.message', 1)
    const bad = a.bus.publish('chat.message', { text: 'hi', meta: { onClick: () => 1 } })
    a.bus.publish('chat.message', 3)
    await waitFor(() => b.got.length === 2, 'the cloneable events')
    expect(b.got.map((e) => e.data)).toEqual([1, 3])
    expect(a.bridge.stats()).toMatchObject({ unsendable: 1, sent: 2 })
    // The issue names the event and where the value sits, which DataCloneError does not.
    await waitFor(() => issues.length === 1, 'the unsendable issue')
    expect(issues).toEqual([
      { kind: 'unsendable', reason: `chat.message (${bad.id}) cannot be sent: data.meta.onClick is a function, which structured clone cannot copy` },
    ])
    // The hole is visible at the receiver as a gap, which is the truth.
    expect(b.bridge.stats().gaps).toBe(1)
  })
})

describe('connectTabs: untrusted input', () => {
  it('counts and ignores garbage and malformed envelopes, delivering the valid events of a batch', async () => {
    const ch = uniqueChannel()
    const b = tab(ch)
    const errors: unknown[] = []
    const onError = (e: ErrorEvent) => errors.push(e.error)
    addEventListener('error', onError)
    cleanups.push(() => removeEventListener('error', onError))
    const bc = raw(ch)
    const garbage: unknown[] = [
      'just a string',
      42,
      null,
      [1, 2, 3],
      { tag: 'tidings.tabs' },
      { tag: 'tidings.tabs', v: 99, kind: 'batch', from: 'x' },
      { tag: 'tidings.tabs', v: 1, kind: 'batch', from: 'x', batch: 'nope' },
      { tag: 'tidings.tabs', v: 1, kind: 'nuke', from: 'x' },
      new Uint8Array([1, 2, 3]),
    ]
    for (const g of garbage) broadcast(bc, g)
    broadcast(
      bc,
      batch('evil', [
        envelope('o1', 0, 'chat.ok', 'good-0'),
        { ...envelope('o1', 1), type: 'chat.*' }, // wildcard in a published topic
        { ...envelope('o1', 3), seq: -1 },
        { ...envelope('o1', 4), id: '' },
        { ...envelope('o1', 5), type: 'a..b' },
        { ...envelope('o1', 6), timestamp: 'yesterday' },
        envelope('o1', 7, 'chat.ok', 'good-7'),
      ]),
    )
    broadcast(bc, withColumns(batch('evil', [envelope('o2', 0, 'chat.ok', 'v2')]), { ev: 2 })) // envelope version
    broadcast(bc, withColumns(batch('evil', [envelope('o3', 0, 'chat.ok', 'oob')]), { sx: [5] })) // no such session
    broadcast(bc, withColumns(batch('evil', [envelope('o4', 0, 'chat.ok', 'prev')]), { p: ['x'] }))
    broadcast(bc, withColumns(batch('evil', [envelope('o5', 0, 'chat.ok', 'extras')]), { x: ['nope'] }))
    broadcast(bc, withColumns(batch('evil', [envelope('o6', 0, 'chat.ok', 'short')]), { tx: [] })) // column length
    await waitFor(() => b.got.length === 2, 'the valid events')
    await sleep(50)
    expect(b.got.map((e) => e.data)).toEqual(['good-0', 'good-7'])
    expect(b.bridge.stats().malformed).toBe(garbage.length + 5 + 5)
    expect(errors).toEqual([])
    // Still works afterwards.
    const a = tab(ch)
    a.bus.publish('chat.after', 'still fine')
    await waitFor(() => b.got.length === 3, 'a real event after the garbage')
  })

  it('drops duplicate ids, stale seqs, and counts a lost event as a gap', async () => {
    const ch = uniqueChannel()
    const b = tab(ch)
    const bc = raw(ch)
    broadcast(bc, batch('p', [envelope('o', 1), envelope('o', 2)], [-1, 1]))
    broadcast(bc, batch('p', [envelope('o', 2)], [1])) // same id again
    broadcast(bc, batch('p', [{ ...envelope('o', 2), id: 'other-id' }], [1])) // new id, same session and seq: a duplicate
    broadcast(bc, batch('p', [envelope('o', 6)], [4])) // seq 4 was forwarded but never arrived
    broadcast(bc, batch('p', [envelope('o', 9)], [6])) // 7, 8 were not shared: no gap
    // Bus-made ids are not sent; the receiver rebuilds them and dedupes by seq.
    broadcast(bc, batch('q', [envelope('c', 10), envelope('c', 11)], [-1, 10], true))
    broadcast(bc, batch('q', [envelope('c', 11)], [10], true))
    await waitFor(() => b.got.length === 6, 'six accepted events')
    await sleep(50)
    expect(b.got.map((e) => e.seq)).toEqual([1, 2, 6, 9, 10, 11])
    expect(b.got.at(-1)!.id).toBe('c:11')
    expect(b.bridge.stats()).toMatchObject({ received: 6, duplicates: 3, outOfOrder: 0, gaps: 1 })
  })

  it('ignores its own events coming back', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const bc = raw(ch)
    broadcast(bc, batch('replayer', [envelope(a.bus.origin, 5, 'chat.message', 'mine')]))
    await waitFor(() => a.bridge.stats().echoes === 1, 'the echo to be counted')
    expect(a.got).toEqual([])
  })
})

describe('connectTabs: signing', () => {
  const KEY = 'correct horse battery staple'

  it('delivers signed batches in order and drops unsigned, forged and wrong-key messages', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, { key: KEY, maxBatch: 50 })
    const b = tab(ch, { key: KEY })
    const stranger = tab(ch, { key: 'a different secret entirely' })
    await Promise.all([a.bridge.ready, b.bridge.ready, stranger.bridge.ready])
    const wire: { body: string; sig: Uint8Array }[] = []
    const bc = raw(ch)
    bc.addEventListener('message', (m) => {
      const d = m.data as { kind?: string; body?: string; sig?: Uint8Array }
      if (d.kind === 'signed' && d.body?.includes('"batch"')) wire.push({ body: d.body, sig: d.sig! })
    })
    for (let i = 0; i < 2000; i++) a.bus.publish('chat.message', i)
    a.bus.publish('chat.message', undefined)
    await waitFor(() => b.got.length === 2001, '2001 signed events')
    expect(b.got.slice(0, 2000).every((e, i) => e.data === i)).toBe(true)
    expect(b.got[2000]!.data).toBeUndefined()
    expect(a.bridge.stats().batchesSent).toBe(Math.ceil(2001 / 50))

    // The stranger with another key verified nothing from A (and B could not verify it).
    expect(stranger.got).toEqual([])
    expect(stranger.bridge.stats().forged).toBeGreaterThanOrEqual(Math.ceil(2001 / 50))
    expect(b.bridge.stats().forged).toBeGreaterThanOrEqual(1) // the stranger's hello
    await stranger.bridge.close()
    // Let B finish verifying whatever the stranger sent before it closed.
    const before = await settled(() => b.bridge.stats(), (s) => s.forged)

    // Unsigned message with a perfectly valid shape.
    broadcast(bc, batch('mallory', [envelope('m', 0, 'chat.evil', 'unsigned')]))
    // A real signed batch whose body was altered.
    const real = wire[0]!
    const altered = real.body.replace('"chat.', '"evil.')
    expect(altered).not.toBe(real.body)
    broadcast(bc, { tag: 'tidings.tabs', v: 1, kind: 'signed', body: altered, sig: real.sig })
    // Random signature.
    broadcast(bc, { tag: 'tidings.tabs', v: 1, kind: 'signed', body: JSON.stringify(batch('m', [envelope('m', 1)])), sig: new Uint8Array(32) })
    await waitFor(() => b.bridge.stats().forged - before.forged === 2, 'two forged messages counted')
    await sleep(50)
    expect(b.bridge.stats().forged - before.forged).toBe(2)
    expect(b.bridge.stats().unsigned - before.unsigned).toBe(1)
    expect(b.got.length).toBe(2001)
    expect(b.got.filter((e) => e.data === 'tampered' || e.data === 'unsigned').map((e) => [e.id, e.data, e.seq])).toEqual([])
  })

  it('refuses a short key and a bad option with typed errors', () => {
    const bus = createBus()
    cleanups.push(() => bus.shutdown())
    expect(() => connectTabs(bus, { key: 'short' })).toThrow(expect.objectContaining({ name: 'TabsOptionError' }))
    expect(() => connectTabs(bus, { share: 'a..b' })).toThrow(InvalidTopicError)
    expect(() => connectTabs(bus, { channel: '' })).toThrow(expect.objectContaining({ name: 'TabsOptionError' }))
    expect(() => connectTabs(bus, { heartbeatMs: -1 })).toThrow(/heartbeatMs/)
  })
})

describe('connectTabs: presence', () => {
  it('reports peers joining and leaving (bye and timeout)', async () => {
    const ch = uniqueChannel()
    // Generous timeout: a loaded machine may delay heartbeats; the ghost below still times out.
    const a = tab(ch, { heartbeatMs: 100, peerTimeoutMs: 1500 }, { name: 'tab-a' })
    const lists: (readonly TabPeer[])[] = []
    const changes: PeerChange[] = []
    a.bridge.peers$.subscribe((l) => lists.push(l))
    a.bridge.peerChanges$.subscribe((c) => changes.push(c))
    const b = tab(ch, { heartbeatMs: 100, peerTimeoutMs: 1500 }, { name: 'tab-b' })
    const c = tab(ch, { heartbeatMs: 100, peerTimeoutMs: 1500 }, { name: 'tab-c' })
    await waitFor(() => a.bridge.peers().length === 2, 'two peers')
    expect(
      a.bridge
        .peers()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['tab-b', 'tab-c'])
    await waitFor(() => b.bridge.peers().length === 2, 'b to see a and c')
    await b.bridge.close()
    await waitFor(() => a.bridge.peers().length === 1, 'b to leave')
    expect(changes.filter((x) => x.kind === 'leave').map((x) => [x.peer.name, x.kind === 'leave' ? x.reason : ''])).toEqual([['tab-b', 'bye']])

    // A peer that goes silent without a bye (crashed tab) times out.
    const bc = raw(ch)
    broadcast(bc, { tag: 'tidings.tabs', v: 1, kind: 'hello', from: 'ghost-bridge', origin: 'ghost', incarnation: 'g1', name: 'ghost' })
    await waitFor(() => a.bridge.peers().some((p) => p.name === 'ghost'), 'the ghost to join')
    await waitFor(() => !a.bridge.peers().some((p) => p.name === 'ghost'), 'the ghost to time out', 5000)
    expect(changes.at(-1)).toMatchObject({ kind: 'leave', reason: 'timeout', peer: { name: 'ghost' } })
    expect(a.bridge.peers().map((p) => p.name)).toEqual(['tab-c'])
    expect(lists.at(-1)!.map((p) => p.name)).toEqual(['tab-c'])
    // A sleepy peer (a hidden tab whose timers barely run) never heartbeats on its own but
    // answers probes at once: it stays.
    const sleepy = raw(ch)
    const hello = { tag: 'tidings.tabs', v: 1, kind: 'heartbeat', from: 'sleepy-bridge', origin: 'sleepy', incarnation: 's1', name: 'sleepy' }
    sleepy.addEventListener('message', (m) => {
      if ((m.data as { ask?: boolean }).ask) broadcast(sleepy, hello)
    })
    broadcast(sleepy, hello)
    await waitFor(() => a.bridge.peers().some((p) => p.name === 'sleepy'), 'the sleepy peer to join')
    await sleep(4000) // more than two timeouts + grace
    expect(a.bridge.peers().map((p) => p.name).sort()).toEqual(['sleepy', 'tab-c'])
    expect(changes.some((x) => x.peer.name === 'sleepy' && x.kind === 'leave')).toBe(false)
    sleepy.close()
    await waitFor(() => a.bridge.peers().length === 1, 'the sleepy peer to time out once it stops answering', 6000)

    // c heard the ghost too and drops it on its own clock.
    await waitFor(() => c.bridge.peers().length === 1, 'c to drop the ghost', 5000)
    expect(c.bridge.peers().map((p) => p.name)).toEqual(['tab-a'])
  })
})
