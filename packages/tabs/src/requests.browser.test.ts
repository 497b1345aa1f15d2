// bus.request() across tabs (real BroadcastChannels in Chromium; two buses in one page are two
// tabs): the one chosen responder answers the requester alone, NoResponderError comes at once,
// a responder tab that goes away fails the request at once, timeouts and AbortSignal as on one
// bus, and nothing stays pending.
import { AbortedError, createBus, NoResponderError, RemoteError, TimeoutError, type Bus, type TidingsEvent } from '@tidings/core'
import { ResponderGoneError } from '@tidings/core/bridge'
import { describe, expect, it } from 'vitest'
import { connectTabs } from './connect-tabs.js'
import type { TabsBridge, TabsOptions } from './tabs-types.js'
import { tabHarness, uniqueChannel, waitFor } from './test-helpers.js'
import { pending, served } from '../../../test-support/requests.js'

const { cleanups } = tabHarness()

function tab(channel: string, origin: string, opts: TabsOptions = {}): { bus: Bus; bridge: TabsBridge; seen: TidingsEvent[] } {
  const bus = createBus({ origin })
  const bridge = connectTabs(bus, { channel, share: 'calc.**', heartbeatMs: 200, ...opts })
  const seen: TidingsEvent[] = []
  bus.subscribe('calc.**', (e) => void seen.push(e))
  cleanups.push(() => bridge.close(), () => bus.shutdown())
  return { bus, bridge, seen }
}


describe('bus.request() across tabs', () => {
  it('exactly one tab answers (the first origin in string order), to the requester alone; values and order kept', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, 'tab-a')
    const c = tab(ch, 'tab-c')
    const b = tab(ch, 'tab-b')
    const asked: string[] = []
    b.bus.reply('calc.add', (e) => (asked.push(`b:${(e.data as { n: number }).n}`), { by: 'b', n: (e.data as { n: number }).n }))
    c.bus.reply('calc.add', (e) => (asked.push(`c:${(e.data as { n: number }).n}`), { by: 'c', n: (e.data as { n: number }).n }))
    const cReplies: unknown[] = []
    c.bus.on('calc.**').subscribe((e) => cReplies.push(e.data))
    await served(a.bus, 'calc.add', { n: 0 })
    const answers = []
    for (let n = 1; n <= 5; n++) answers.push(await a.bus.request('calc.add', { n }))
    expect(answers).toEqual([1, 2, 3, 4, 5].map((n) => ({ by: 'b', n })))
    expect(asked.filter((x) => x !== 'b:0')).toEqual(['b:1', 'b:2', 'b:3', 'b:4', 'b:5'])
    // Neither the request nor its reply reached tab c as an event.
    expect(cReplies).toEqual([])
    expect(c.seen).toEqual([])
    expect(pending(a.bus)).toBe(0)
    expect(pending(b.bus)).toBe(0)
  })

  it('NoResponderError at once when no tab serves the type; follows replies made and removed elsewhere', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, 'tab-a')
    const b = tab(ch, 'tab-b')
    await Promise.all([a.bridge.ready, b.bridge.ready])
    await waitFor(() => a.bridge.peers().length === 1, 'b is present')
    await expect(a.bus.request('calc.none', 1, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(NoResponderError)
    const sub = b.bus.reply('calc.mul', (e) => (e.data as number) * 2)
    expect(await served(a.bus, 'calc.mul', 21)).toBe(42)
    sub.unsubscribe()
    await waitFor(() => a.bus.subscriptions().every((s) => s.label === undefined || !s.patterns.includes('calc.mul')), 'b withdraws calc.mul')
    await expect(a.bus.request('calc.mul', 1, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(NoResponderError)
    // A type outside the requester's share never crosses.
    const other = tab(ch, 'tab-z', { share: 'other.**' })
    b.bus.reply('calc.div', () => 1)
    await waitFor(() => other.bridge.peers().length >= 2, 'peers known')
    await expect(other.bus.request('calc.div', 1, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(NoResponderError)
  })

  it('a local reply() answers alone; a remote failure is a RemoteError', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, 'tab-a')
    const b = tab(ch, 'tab-b')
    let remote = 0
    b.bus.reply('calc.x', () => ++remote)
    b.bus.reply('calc.fail', () => {
      throw new RangeError('b says no')
    })
    await served(a.bus, 'calc.x', 0)
    const local = a.bus.reply('calc.x', () => 'local')
    expect(await a.bus.request('calc.x', 0)).toBe('local')
    expect(remote).toBe(1) // only the probe in served()
    local.unsubscribe()
    const err = await a.bus.request('calc.fail', 0).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect([(err as RemoteError).remoteName, (err as RemoteError).remoteMessage]).toEqual(['RangeError', 'b says no'])
  })

  it('rejects with ResponderGoneError when the responder tab goes away mid-request, without waiting for the timeout', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, 'tab-a')
    const b = tab(ch, 'tab-b')
    let started = 0
    b.bus.reply('calc.slow', () => (started++, new Promise(() => {})))
    b.bus.reply('calc.ping', () => 'pong')
    await served(a.bus, 'calc.ping', 0)
    const slow = a.bus.request('calc.slow', 1, { timeoutMs: 60_000 }).catch((e: unknown) => e)
    await waitFor(() => started === 1, 'b runs the request')
    await b.bridge.close()
    const err = await slow
    expect(err).toBeInstanceOf(ResponderGoneError)
    expect((err as ResponderGoneError).responder).toBe(b.bridge.id)
    expect(pending(a.bus)).toBe(0)
  })

  it('timeouts and AbortSignal work as on one bus, and nothing stays pending on either side', async () => {
    const ch = uniqueChannel()
    const a = tab(ch, 'tab-a')
    const b = tab(ch, 'tab-b')
    b.bus.reply('calc.slow', (_e, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('late'))))
    b.bus.reply('calc.ping', () => 'pong')
    await served(a.bus, 'calc.ping', 0)
    expect(await a.bus.request('calc.slow', 1, { timeoutMs: 150 }).catch((e: unknown) => e)).toBeInstanceOf(TimeoutError)
    const ctl = new AbortController()
    const aborted = a.bus.request('calc.slow', 2, { timeoutMs: 60_000, signal: ctl.signal }).catch((e: unknown) => e)
    ctl.abort()
    expect(await aborted).toBeInstanceOf(AbortedError)
    expect(pending(a.bus)).toBe(0)
    // b's own requests end with their remaining time (the first one timed out there too).
    await waitFor(() => pending(b.bus) <= 1, "b's timed-out request ended")
    expect(await a.bus.request('calc.ping', 0)).toBe('pong')
  })

  it('works signed (key): request and reply are signed like everything else', async () => {
    const ch = uniqueChannel()
    const key = 'a shared secret of enough length'
    const a = tab(ch, 'tab-a', { key })
    const b = tab(ch, 'tab-b', { key })
    b.bus.reply('calc.sq', (e) => new Map([[e.data as number, (e.data as number) ** 2]]))
    const m = (await served(a.bus, 'calc.sq', 7)) as Map<number, number>
    expect([...m]).toEqual([[7, 49]])
  })
})
