import type { TidingsEvent } from '@tidings/core'
import { commands } from 'vitest/browser'
import { describe, expect, it } from 'vitest'
import { NatsPermissionError } from './errors.js'
import { device, USERS, uniquePrefix, useNatsServer, waitFor } from './test-helpers.js'
import type { NatsIssue, NatsStatus } from './types.js'

const ctx = useNatsServer()

describe('connectNats: faults', () => {
  it('a user without publish permission gets a typed error; the connection and the bus keep working', async () => {
    const subject = 'tidings'
    const a = device(ctx.server, { share: 'perm.**', subject })
    const r = device(ctx.server, { share: 'perm.**', subject, ...USERS.reader })
    await Promise.all([a.bridge.whenConnected(), r.bridge.whenConnected()])
    await r.bridge.flush()
    const issues: NatsIssue[] = []
    r.bridge.errors$.subscribe((i) => issues.push(i))
    const local: unknown[] = []
    r.bus.on('perm.**').subscribe((e) => local.push(e.data))
    r.bus.publish('perm.denied', 1)
    await waitFor(() => issues.length > 0, 'the permission error')
    expect(issues[0]!.kind).toBe('denied')
    expect(issues[0]!.error).toBeInstanceOf(NatsPermissionError)
    expect(issues[0]!.error).toMatchObject({ operation: 'publish', subject: 'tidings.perm.denied' })
    expect(r.bridge.stats().denied).toBe(1)
    expect(r.bridge.status).toBe('connected')
    // Still receiving, and its local bus still delivers.
    a.bus.publish('perm.ok', 2)
    await waitFor(() => local.length === 2, 'the event from the allowed device')
    expect(local).toEqual([1, 2])
  })

  it('server restart mid-stream: buffered events are bounded (drop-oldest, counted) and sent on reconnect; later events arrive', async () => {
    const subject = uniquePrefix()
    const a = device(ctx.server, { share: 'feed.**', subject, maxBuffered: 10, connection: { reconnectTimeWait: 300 } })
    const b = device(ctx.server, { share: 'feed.**', subject, connection: { reconnectTimeWait: 30 } })
    await Promise.all([a.bridge.whenConnected(), b.bridge.whenConnected()])
    await b.bridge.flush()
    const statuses: NatsStatus[] = []
    a.bridge.status$.subscribe((s) => statuses.push(s))
    const got: number[] = []
    b.bus.on('feed.**').subscribe((e) => e.origin === a.bus.origin && got.push(e.data as number))
    for (let i = 0; i < 50; i++) a.bus.publish('feed.n', i)
    await waitFor(() => got.length === 50, 'the first 50')

    await commands.natsDown(ctx.server.id)
    await waitFor(() => a.bridge.status === 'reconnecting' && b.bridge.status === 'reconnecting', 'both to notice')
    for (let i = 50; i < 80; i++) a.bus.publish('feed.n', i)
    expect(a.bridge.stats()).toMatchObject({ sent: 50, buffered: 10, dropped: 20 })
    await commands.natsUp(ctx.server.id)
    await waitFor(() => a.bridge.status === 'connected' && b.bridge.status === 'connected', 'both back')
    await b.bridge.flush()
    await a.bridge.flush()
    for (let i = 80; i < 85; i++) a.bus.publish('feed.n', i)
    await waitFor(() => got.at(-1) === 84, 'the events after the restart')
    // What arrives: the first 50, then (unless B resubscribed after A sent them) the 10 newest
    // buffered, then the 5 new ones, in order; what is lost in transit shows up as a gap.
    expect(got.slice(0, 50)).toEqual([...Array(50).keys()])
    const after = got.slice(50)
    expect(after.slice(-5)).toEqual([80, 81, 82, 83, 84])
    const buffered = after.slice(0, -5)
    if (buffered.length === 10) {
      expect(buffered).toEqual([70, 71, 72, 73, 74, 75, 76, 77, 78, 79])
      expect(b.bridge.stats().gaps).toBe(0)
    } else expect(b.bridge.stats().gaps).toBe(1)
    expect(a.bridge.stats()).toMatchObject({ sent: 65, dropped: 20, buffered: 0, reconnects: 1 })
    expect(statuses).toEqual(['connected', 'reconnecting', 'connected'])
  })

  it('an unreachable server: keeps trying while connecting, reports it once, and close() ends the attempts; wrong credentials close the bridge', async () => {
    const down = device({ ...ctx.server, ws: 'ws://127.0.0.1:9' }, { share: 'x.**' })
    const issues: NatsIssue[] = []
    down.bridge.errors$.subscribe((i) => issues.push(i))
    await waitFor(() => issues.length === 1, 'the connection issue')
    expect(issues[0]!.kind).toBe('connection')
    expect(down.bridge.status).toBe('connecting')
    down.bus.publish('x.y', 1)
    expect(down.bridge.stats()).toMatchObject({ buffered: 1, sent: 0 })
    await down.bridge.close()
    expect(down.bridge.status).toBe('closed')

    const wrong = device(ctx.server, { share: 'x.**', user: 'device', pass: 'wrong' })
    const statuses: NatsStatus[] = []
    wrong.bridge.status$.subscribe((st) => statuses.push(st))
    await waitFor(() => wrong.bridge.status === 'closed', 'the bridge to close')
    expect(statuses).toEqual(['connecting', 'closed'])
    // whenConnected() rejects with the reason (connect-failures.browser.test.ts has the exact text).
    await expect(wrong.bridge.whenConnected()).rejects.toThrow(/Authorization Violation; not retried/)
  })

  it('refuses bad options with a typed error naming the option', async () => {
    const { connectNats, NatsOptionError } = await import('./index.js')
    const { createBus } = await import('@tidings/core')
    const bus = createBus()
    expect(() => connectNats(bus, { servers: 'ws://localhost' })).toThrow(NatsOptionError)
    expect(() => connectNats(bus, { servers: 'ws://127.0.0.1:1', subject: 'a.*' })).toThrow(/subject/)
    expect(() => connectNats(bus, { servers: 'ws://127.0.0.1:1', jetstream: { stream: 'S', replay: 'sometimes' as 'all' } })).toThrow(/jetstream.replay/)
    expect(() => connectNats(bus, { servers: 'ws://127.0.0.1:1', share: 'a.[' })).toThrow(/a\.\[/)
    await bus.shutdown()
  })
})

export type { TidingsEvent }
