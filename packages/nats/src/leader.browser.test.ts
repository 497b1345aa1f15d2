import { createBus, type Bus } from '@tidings/core'
import { connectTabs, type TabsBridge } from '@tidings/tabs'
import { afterEach, describe, expect, it } from 'vitest'
import { connectNats } from './connect-nats.js'
import { createStream, device, USERS, uniquePrefix, useNatsServer, waitFor } from './test-helpers.js'
import type { NatsBridge, NatsOptions, NatsStatus } from './types.js'

const ctx = useNatsServer()
const cleanup: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).toReversed()) await c()
})

/** A "tab": a bus with a tabs bridge and a NATS bridge in leader mode. */
function tab(channel: string, opts: Partial<NatsOptions>): { bus: Bus; tabs: TabsBridge; nats: NatsBridge; statuses: NatsStatus[] } {
  const bus = createBus()
  const tabs = connectTabs(bus, { channel, share: ['note.**', 'ask.**'] })
  const nats = connectNats(bus, { servers: ctx.server.ws, ...USERS.device, share: 'note.**', leader: true, connection: { reconnectTimeWait: 50 }, ...opts })
  const statuses: NatsStatus[] = []
  nats.status$.subscribe((s) => statuses.push(s))
  cleanup.push(() => nats.close(), () => tabs.close(), () => bus.shutdown())
  return { bus, tabs, nats, statuses }
}

describe('connectNats leader mode', () => {
  it('only the leader tab connects; the others get events through the tabs bridge; a new leader resumes from the old one\'s stream sequence', async () => {
    const subject = uniquePrefix()
    const stream = 'L' + subject.slice(-6)
    await createStream(ctx.server, stream, [`${subject}.>`])
    const channel = 'nats-leader-' + subject
    const jetstream = { stream, replay: 'all' as const }
    const t1 = tab(channel, { subject, jetstream, requests: 'ask.**' })
    await t1.nats.whenConnected()
    const t2 = tab(channel, { subject, jetstream, requests: 'ask.**' })
    await t1.tabs.ready
    await t2.tabs.ready
    await waitFor(() => t1.tabs.stats().peers === 1 && t2.tabs.stats().peers === 1, 'the tabs to meet')
    expect(t2.nats.status).toBe('standby')

    const remote = device(ctx.server, { share: 'note.**', subject, jetstream: { stream }, serve: 'ask.**' })
    remote.bus.reply('ask.echo', (e) => ({ echo: e.data }))
    await remote.bridge.whenConnected()
    const atT2: number[] = []
    t2.bus.on('note.**').subscribe((e) => e.origin === remote.bus.origin && atT2.push(e.data as number))
    const atRemote: unknown[] = []
    remote.bus.on('note.**').subscribe((e) => e.origin !== remote.bus.origin && atRemote.push(e.data))

    for (let i = 0; i < 5; i++) await remote.bus.publishAsync('note.n', i, { persistent: true })
    await waitFor(() => atT2.length === 5, 'the remote events at the follower')
    // The follower's own event goes out through the leader, with the follower's origin.
    t2.bus.publish('note.from-t2', 'hi')
    await waitFor(() => atRemote.length === 1, 'the follower event at the remote device')
    expect(t2.nats.stats().sent).toBe(0)
    expect(t1.nats.stats().sent).toBe(1)
    // A follower's request goes to the leader over the tabs bridge, and on over NATS.
    await waitFor(() => t2.bus.subscriberCount('ask.echo') > 0, 'the leader to announce that it serves ask.**')
    expect(await t2.bus.request('ask.echo', 42)).toEqual({ echo: 42 })
    expect(t1.nats.stats().requestsSent).toBe(1)

    // The leader tab goes away: the follower takes the connection over.
    await t1.nats.close()
    await t1.tabs.close()
    for (let i = 5; i < 10; i++) await remote.bus.publishAsync('note.n', i, { persistent: true })
    await t2.nats.whenConnected()
    await waitFor(() => atT2.length >= 10, 'the events after the handover')
    expect(atT2).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(t2.statuses).toEqual(['standby', 'connecting', 'connected'])
    // It resumed after the old leader's last stream sequence (replay 'all' would have sent 0..9
    // again, to be dropped as duplicates).
    expect(t2.nats.stats()).toMatchObject({ received: 5, duplicates: 0, echoes: 0, lastStreamSeq: 11 })
    t2.bus.publish('note.from-t2', 'again')
    await waitFor(() => atRemote.length === 2, 'the new leader publishing')
  })
  it('a tab alone publishes right after connectNats(): its events wait for the lead and go out once, a persistent one acked by JetStream', async () => {
    const subject = uniquePrefix()
    const stream = 'A' + subject.slice(-6)
    await createStream(ctx.server, stream, [`${subject}.>`])
    const remote = device(ctx.server, { share: 'note.**', subject })
    await remote.bridge.whenConnected()
    const atRemote: unknown[] = []
    remote.bus.on('note.**').subscribe((e) => atRemote.push(e.data))

    const t1 = tab('nats-alone-' + subject, { subject, jetstream: { stream } })
    // Before the election has answered: the bridge is on standby, and these must not be lost.
    expect(t1.nats.status).toBe('standby')
    t1.bus.publish('note.first', 1)
    expect(t1.nats.stats().buffered).toBe(1)
    const acked = t1.bus.publishAsync('note.second', 2, { persistent: true })
    await acked
    expect(t1.nats.stats().acked).toBe(1)
    await waitFor(() => atRemote.length === 2, 'both events at the remote device')
    expect(atRemote).toEqual([1, 2])
    expect(t1.nats.stats()).toMatchObject({ sent: 2, dropped: 0, buffered: 0 })
  })

  it('a tab that opens while another leads hands its first events to the leader: each reaches NATS once', async () => {
    const subject = uniquePrefix()
    const channel = 'nats-handover-' + subject
    const stream = 'H' + subject.slice(-6)
    await createStream(ctx.server, stream, [`${subject}.>`])
    // A short ack wait: a persistent event handed over must resolve, not wait for it to run out.
    const opts = { subject, jetstream: { stream }, ackTimeoutMs: 3000 }
    const remote = device(ctx.server, { share: 'note.**', subject })
    await remote.bridge.whenConnected()
    const atRemote: unknown[] = []
    remote.bus.on('note.**').subscribe((e) => atRemote.push(e.data))
    const t1 = tab(channel, opts)
    await t1.nats.whenConnected()

    const t2 = tab(channel, opts)
    // t2 does not know yet that t1 leads: its own events wait in its buffer meanwhile.
    t2.bus.publish('note.a', 'a')
    t2.bus.publish('note.b', 'b')
    expect(t2.nats.stats().buffered).toBe(2)
    const acked = t2.bus.publishAsync('note.c', 'c', { persistent: true })
    await waitFor(() => t2.nats.stats().buffered === 0, 't2 to learn that t1 leads and hand its events over')
    await acked
    await waitFor(() => atRemote.length === 3, 'the events at the remote device, through the leader')
    // Give a duplicate time to show up.
    await new Promise((r) => setTimeout(r, 300))
    expect(atRemote).toEqual(['a', 'b', 'c'])
    expect(t2.nats.status).toBe('standby')
    expect(t2.nats.stats()).toMatchObject({ sent: 0, dropped: 0, unacked: 0 })
    expect(t1.nats.stats()).toMatchObject({ sent: 3, acked: 1 })
    // close() is one promise for every caller.
    expect(t2.nats.close()).toBe(t2.nats.close())
  })
})
