import { createBus, type TidingsEvent } from '@tidings/core'
import { describe, expect, it } from 'vitest'
import { connectNats, NATS_BRIDGE } from './connect-nats.js'
import { device, uniquePrefix, useNatsServer, USERS, waitFor } from './test-helpers.js'

const ctx = useNatsServer()

describe('connectNats: two devices through a real nats-server', () => {
  it('carries events both ways in order, with types, origin and id kept, never echoed', async () => {
    const subject = uniquePrefix()
    const a = device(ctx.server, { share: 'chat.**', subject })
    const b = device(ctx.server, { share: 'chat.**', subject })
    await Promise.all([a.bridge.whenConnected(), b.bridge.whenConnected()])
    await b.bridge.flush()
    const atB: TidingsEvent[] = []
    const atA: TidingsEvent[] = []
    b.bus.on('chat.**').subscribe((e) => e.origin !== b.bus.origin && atB.push(e))
    a.bus.on('chat.**').subscribe((e) => e.origin !== a.bus.origin && atA.push(e))
    const sent: TidingsEvent[] = []
    a.bus.on('chat.**').subscribe((e) => e.origin === a.bus.origin && sent.push(e))
    for (let i = 0; i < 100; i++) a.bus.publish(i % 2 ? 'chat.msg' : 'chat', { i, at: new Date(i), tags: new Set([i]), big: BigInt(i) })
    a.bus.publish('other.topic', { no: true })
    b.bus.publish('chat.reply', new Map([['k', 1]]))
    await waitFor(() => atB.length === 100 && atA.length === 1, 'both directions')
    expect(atB.map((e) => (e.data as { i: number }).i)).toEqual([...Array(100).keys()])
    expect(atB.map((e) => e.id)).toEqual(sent.map((e) => e.id))
    const first = atB[1]!
    expect(first.origin).toBe(a.bus.origin)
    expect(first.type).toBe('chat.msg')
    expect((first.data as { at: Date }).at).toEqual(new Date(1))
    expect((first.data as { tags: Set<number> }).tags).toEqual(new Set([1]))
    expect((first.data as { big: bigint }).big).toBe(1n)
    expect(b.bus.bridgedBy(first)).toBe(NATS_BRIDGE)
    expect(atA.at(-1)!.data).toEqual(new Map([['k', 1]]))
    await a.bridge.flush()
    expect(a.bridge.stats()).toMatchObject({ sent: 100, received: 1, echoes: 0, malformed: 0, duplicates: 0, gaps: 0 })
    expect(b.bridge.stats()).toMatchObject({ sent: 1, received: 100, malformed: 0, gaps: 0 })
  })

  it('a handler that publishes from inside publish: its event still goes out after its cause, so the receiver sees no gap and nothing late', async () => {
    const subject = uniquePrefix()
    const bus = createBus({ name: 'reentrant' })
    // Subscribed before the bridge: it publishes chat.reply while chat.msg is being delivered,
    // so the bridge is handed each reply (the higher seq) before its cause.
    bus.on('chat.msg').subscribe((e) => bus.publish('chat.reply', { to: e.id }))
    const bridge = connectNats(bus, { servers: ctx.server.ws, leader: false, ...USERS.device, share: 'chat.**', subject })
    const b = device(ctx.server, { share: 'chat.**', subject })
    try {
      await Promise.all([bridge.whenConnected(), b.bridge.whenConnected()])
      await b.bridge.flush()
      const got: TidingsEvent[] = []
      b.bus.on('chat.**').subscribe((e) => got.push(e))
      bus.publish('chat.msg', 1)
      bus.publish('chat.msg', 2)
      await waitFor(() => got.length === 4, 'four events')
      expect(got.map((e) => e.type)).toEqual(['chat.msg', 'chat.reply', 'chat.msg', 'chat.reply'])
      expect(got.map((e) => e.seq)).toEqual(got.map((e) => e.seq).toSorted((x, y) => x - y))
      expect(b.bridge.stats()).toMatchObject({ received: 4, gaps: 0, outOfOrder: 0 })
    } finally {
      await bridge.close()
      await bus.shutdown({ drainTimeoutMs: 100 })
    }
  })

  it('a burst of one type travels in few messages; an event that cannot be encoded is the only one lost, and the receiver sees the gap', async () => {
    const subject = uniquePrefix()
    const a = device(ctx.server, { share: 'burst.**', subject })
    const b = device(ctx.server, { share: 'burst.**', subject })
    await Promise.all([a.bridge.whenConnected(), b.bridge.whenConnected()])
    const got: number[] = []
    b.bus.on('burst.**').subscribe((e) => got.push((e.data as { n: number }).n))
    const issues: string[] = []
    a.bridge.errors$.subscribe((i) => issues.push(i.kind))
    for (let n = 0; n < 1200; n++) a.bus.publish('burst.n', n === 600 ? { n, fn: () => n } : { n, at: n % 2 ? new Date(n) : n })
    await waitFor(() => got.length === 1199, 'the sendable events')
    expect(got).toEqual([...Array(1200).keys()].filter((n) => n !== 600))
    expect(a.bridge.stats()).toMatchObject({ sent: 1199, unsendable: 1 })
    expect(issues).toEqual(['unsendable'])
    expect(b.bridge.stats()).toMatchObject({ received: 1199, gaps: 1, malformed: 0 })
  })
})
