import type { TidingsEvent } from '@tidings/core'
import { describe, expect, it } from 'vitest'
import { createStream, device, uniquePrefix, useNatsServer, waitFor } from './test-helpers.js'

const ctx = useNatsServer()

describe('connectNats with JetStream', () => {
  it('publishAsync of a persistent event resolves on the server ack; late joiners replay per their option', async () => {
    const subject = uniquePrefix()
    const stream = 'S' + subject.slice(-6)
    await createStream(ctx.server, stream, [`${subject}.>`])
    const a = device(ctx.server, { share: 'doc.**', subject, jetstream: { stream } })
    await a.bridge.whenConnected()
    for (let i = 0; i < 6; i++) await a.bus.publishAsync('doc.' + (i % 2 ? 'b' : 'a'), { i, at: new Date(i) }, { persistent: true })
    expect(a.bridge.stats()).toMatchObject({ acked: 6, unacked: 0, sent: 6 })

    const all = device(ctx.server, { share: 'doc.**', subject, jetstream: { stream, replay: 'all' } })
    const last = device(ctx.server, { share: 'doc.**', subject, jetstream: { stream, replay: 'last-per-subject' } })
    const fresh = device(ctx.server, { share: 'doc.**', subject, jetstream: { stream, replay: 'new' } })
    const got = { all: [] as TidingsEvent[], last: [] as TidingsEvent[], fresh: [] as TidingsEvent[] }
    all.bus.on('doc.**').subscribe((e) => got.all.push(e))
    last.bus.on('doc.**').subscribe((e) => got.last.push(e))
    fresh.bus.on('doc.**').subscribe((e) => got.fresh.push(e))
    await waitFor(() => got.all.length === 6 && got.last.length === 2, 'the replays')
    expect(got.all.map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5])
    expect((got.all[3]!.data as { at: Date }).at).toEqual(new Date(3))
    expect(got.all[0]!.origin).toBe(a.bus.origin)
    expect(got.last.map((e) => (e.data as { i: number }).i).sort()).toEqual([4, 5])
    expect(all.bridge.stats()).toMatchObject({ received: 6, replayed: 6, lastStreamSeq: 6 })
    await fresh.bridge.whenConnected()
    expect(got.fresh).toEqual([])

    // Live events reach everyone once; the publisher gets none of its own back.
    await a.bus.publishAsync('doc.a', { i: 6 }, { persistent: true })
    await waitFor(() => got.fresh.length === 1 && got.all.length === 7 && got.last.length === 3, 'the live event')
    expect(a.bridge.stats()).toMatchObject({ received: 0, acked: 7 })
  })

  it('resumes from the last stream sequence after a reconnect: nothing acknowledged is missed or doubled', async () => {
    const subject = uniquePrefix()
    const stream = 'R' + subject.slice(-6)
    await createStream(ctx.server, stream, [`${subject}.>`])
    const a = device(ctx.server, { share: 'log.**', subject, jetstream: { stream } })
    const b = device(ctx.server, { share: 'log.**', subject, jetstream: { stream, replay: 'all' }, connection: { reconnectTimeWait: 30 } })
    const got: number[] = []
    b.bus.on('log.**').subscribe((e) => got.push(e.data as number))
    await Promise.all([a.bridge.whenConnected(), b.bridge.whenConnected()])
    for (let i = 0; i < 5; i++) await a.bus.publishAsync('log.n', i, { persistent: true })
    await waitFor(() => got.length === 5, 'the first five')
    const { commands } = await import('vitest/browser')
    await commands.natsDown(ctx.server.id)
    await waitFor(() => b.bridge.status === 'reconnecting', 'b to notice')
    await commands.natsUp(ctx.server.id)
    await waitFor(() => a.bridge.status === 'connected' && b.bridge.status === 'connected', 'both back')
    for (let i = 5; i < 10; i++) await a.bus.publishAsync('log.n', i, { persistent: true })
    await waitFor(() => got.length >= 10, 'the next five')
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(b.bridge.stats()).toMatchObject({ lastStreamSeq: 10, duplicates: 0 })
  })

  it('while the server is down, persistent events wait (bounded): publishAsync resolves on the ack after the restart, or rejects at once when dropped', async () => {
    const subject = uniquePrefix()
    const stream = 'D' + subject.slice(-6)
    await createStream(ctx.server, stream, [`${subject}.>`])
    const a = device(ctx.server, { share: 'job.**', subject, jetstream: { stream }, maxBuffered: 2, overflow: 'drop-newest', connection: { reconnectTimeWait: 30 } })
    const b = device(ctx.server, { share: 'job.**', subject, jetstream: { stream, replay: 'all' }, connection: { reconnectTimeWait: 30 } })
    await Promise.all([a.bridge.whenConnected(), b.bridge.whenConnected()])
    const got: unknown[] = []
    b.bus.on('job.**').subscribe((e) => got.push(e.data))
    const { commands } = await import('vitest/browser')
    await commands.natsDown(ctx.server.id)
    await waitFor(() => a.bridge.status === 'reconnecting', 'a to notice')
    const acks = [0, 1, 2].map((n) => a.bus.publishAsync('job.n', n, { persistent: true }).then(() => 'acked', (e: Error) => e.name))
    expect(await acks[2]).toBe('NatsConnectionError') // dropped: the buffer holds 2
    expect(a.bridge.stats()).toMatchObject({ dropped: 1, buffered: 2 })
    await commands.natsUp(ctx.server.id)
    expect(await Promise.all(acks)).toEqual(['acked', 'acked', 'NatsConnectionError'])
    await waitFor(() => got.length === 2, 'the stored events at b')
    expect(got).toEqual([0, 1])
    expect(a.bridge.stats()).toMatchObject({ acked: 2, unacked: 0, dropped: 1 })
  })
})
