// Recording before the panel opens, call sites (trace) and the sharedState list, in real Chromium
// over real window.postMessage (a simulated content script: this test).
import { afterEach, describe, expect, it } from 'vitest'
import { sharedState } from '@tidings/tabs'
import { type BatchMsg, type PublishItem, msg, parseBatchItems } from './protocol.js'
import { cleanup, cleanups, post, publishes, setup, tick, until } from './test-helpers.js'

afterEach(cleanup)

const present = () => post(msg({ kind: 'present' }))
const hello = (nonce = 'n') => post(msg({ kind: 'hello', nonce, leaseMs: 60_000 }))
const batches = (s: ReturnType<typeof setup>['s']) => s.of('batch') as BatchMsg[]
const pubsOf = (b: BatchMsg[]) => b.flatMap((m) => parseBatchItems(m.items) ?? []).filter((i): i is PublishItem => i.kind === 'publish')

describe('recording before the panel opens', () => {
  it('records while the extension is present and sends it first, marked recorded, when the panel says hello', async () => {
    const { bus, agent, s } = setup()
    // published in the same task as connectDevtools: kept by the provisional recording
    bus.publish('boot.started', { step: 0 })
    present()
    bus.subscribe('app.*', () => {})
    for (let i = 0; i < 20; i++) bus.publish('app.step', { i })
    await until(() => agent.stats().recordedBytes > 0, 'recorded items')
    await tick(300) // past the provisional window: still recording (the extension is present)
    bus.publish('app.late', { i: 20 })
    await until(() => agent.stats().recordedBytes > 0 && !s.of('batch').length, 'late item recorded')
    expect(s.of('batch')).toHaveLength(0) // nothing posted while the panel is closed
    hello()
    await until(() => pubsOf(batches(s)).length === 22, 'recorded publishes')
    const rec = batches(s).filter((b) => b.recorded)
    expect(rec.length).toBeGreaterThan(0)
    expect(pubsOf(rec).map((p) => p.event.type)).toEqual(['boot.started', ...Array(20).fill('app.step'), 'app.late'])
    expect(pubsOf(rec).map((p) => p.event.seq)).toEqual([...Array(22).keys()])
    // ready comes before the recorded batches; live items after them carry no mark
    const kinds = s.got.map((m) => (m.kind === 'batch' ? (m.recorded ? 'recorded' : 'live') : m.kind))
    expect(kinds.indexOf('ready')).toBeLessThan(kinds.indexOf('recorded'))
    bus.publish('app.live', { live: true })
    await until(() => pubsOf(batches(s)).some((p) => p.event.type === 'app.live'), 'live publish')
    const live = batches(s).filter((b) => !b.recorded)
    expect(pubsOf(live).map((p) => p.event.type)).toEqual(['app.live'])
    expect(agent.stats().recordedBytes).toBe(0)
  })

  it('without the extension it stops after the provisional window and keeps nothing', async () => {
    const { bus, agent, s } = setup()
    bus.publish('boot.started', {})
    await tick(400)
    for (let i = 0; i < 10; i++) bus.publish('app.step', { i })
    await tick(100)
    expect(agent.stats().recordedBytes).toBe(0)
    hello()
    await until(() => s.of('ready').length === 1, 'ready')
    bus.publish('app.live', {})
    await until(() => pubsOf(batches(s)).length === 1, 'the live publish')
    expect(batches(s).some((b) => b.recorded)).toBe(false)
    expect(pubsOf(batches(s)).map((p) => p.event.type)).toEqual(['app.live'])
  })

  it('keeps the newest items within recordBytes, oldest dropped first', async () => {
    const { bus, agent, s } = setup({ recordBytes: 6000 })
    present()
    for (let i = 0; i < 200; i++) bus.publish('app.step', { i, pad: 'x'.repeat(100) })
    await until(() => agent.stats().recordedBytes > 3000, 'the ring filled')
    const held = agent.stats().recordedBytes
    expect(held).toBeGreaterThan(3000)
    expect(held).toBeLessThanOrEqual(6000)
    hello()
    await until(() => batches(s).some((b) => b.recorded), 'recorded batch')
    const seqs = pubsOf(batches(s).filter((b) => b.recorded)).map((p) => p.event.seq)
    // each item is ~450 characters (data, exact copy, envelope): 6000 hold about a dozen
    expect(seqs.length).toBeGreaterThan(5)
    expect(seqs.length).toBeLessThan(200)
    // the newest, contiguous, in order
    expect(seqs.at(-1)).toBe(199)
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, k) => 200 - seqs.length + k))
  })

  it('stays within recordBytes over tens of thousands of items (evicting once per flush)', async () => {
    const { bus, agent, s } = setup({ recordBytes: 500_000, maxEventsPerSecond: 1_000_000 })
    present()
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 5000; i++) bus.publish('app.tick', { i })
      await tick(40)
      expect(agent.stats().recordedBytes).toBeLessThanOrEqual(500_000)
    }
    await tick(60)
    hello()
    await until(() => batches(s).some((b) => b.recorded), 'recorded batches')
    await tick(100)
    const seqs = pubsOf(batches(s).filter((b) => b.recorded)).map((p) => p.event.seq)
    expect(seqs.at(-1)).toBe(39_999)
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, k) => 40_000 - seqs.length + k))
  })

  it('recordBytes: 0 opts out: nothing is recorded even with the extension present', async () => {
    const { bus, agent, s } = setup({ recordBytes: 0 })
    present()
    for (let i = 0; i < 10; i++) bus.publish('app.step', { i })
    await tick(150)
    expect(agent.stats().recordedBytes).toBe(0)
    hello()
    await until(() => s.of('ready').length === 1, 'ready')
    await tick(100)
    expect(batches(s).some((b) => b.recorded)).toBe(false)
  })

  it('records again after the panel closes (even if it paused), and a reopened panel gets what happened meanwhile', async () => {
    const { bus, s } = setup()
    present()
    hello('one')
    await until(() => s.of('ready').length === 1, 'first ready')
    bus.publish('app.seen', {})
    await until(() => pubsOf(batches(s)).length === 1, 'live publish')
    // a pause is the panel's: it does not outlive the panel
    post(msg({ kind: 'command', nonce: 'one', id: 'p', command: { op: 'pause' } }))
    await until(() => s.of('result').length === 1, 'paused')
    post(msg({ kind: 'bye', nonce: 'one' }))
    await tick(30)
    bus.publish('app.while-closed', { n: 1 })
    bus.publish('app.while-closed', { n: 2 })
    await tick(100)
    hello('two')
    await until(() => pubsOf(batches(s).filter((b) => b.recorded)).length === 2, 'recorded while closed')
    expect(pubsOf(batches(s).filter((b) => b.recorded)).map((p) => p.event.data)).toEqual([{ n: 1 }, { n: 2 }])
  })
})

describe('trace: call sites', () => {
  it('with trace: true each publish item carries the stack of the code that published', async () => {
    const { bus, s } = setup({ trace: true })
    hello()
    await until(() => s.of('ready').length === 1, 'ready')
    function publishFromHere() {
      bus.publish('traced.event', { ok: true })
    }
    publishFromHere()
    await until(() => publishes(s).length === 1, 'publish item')
    const stack = publishes(s)[0]!.stack ?? ''
    expect(stack).toContain('publishFromHere')
    expect(stack).toContain('record.browser.test.ts')
    // the frame that calls bus.publish is named .publish (what the panel cuts at)
    expect(stack).toMatch(/\.publish \(/)
  })

  it('without trace no stack is captured', async () => {
    const { bus, s } = setup()
    hello()
    await until(() => s.of('ready').length === 1, 'ready')
    bus.publish('plain.event', {})
    await until(() => publishes(s).length === 1, 'publish item')
    expect(publishes(s)[0]!.stack).toBeUndefined()
  })
})

describe('shared state', () => {
  it('snapshots list every live sharedState of the bus with its value and stamp, redacted like data', async () => {
    const { bus, s } = setup({ redact: ['token'] })
    const cart = sharedState(bus, `cart-${Math.random()}`, { items: [] as string[], token: 'T0P' }, { peerWaitMs: 0 })
    const theme = sharedState(bus, `theme-${Math.random()}`, 'light', { peerWaitMs: 0 })
    cleanups.push(() => (cart.close(), theme.close()))
    await Promise.all([cart.ready, theme.ready])
    cart.set({ items: ['apple'], token: 'T0P' })
    hello()
    await until(() => s.of('snapshot').some((m) => (m.states?.length ?? 0) === 2), 'snapshot with states')
    const states = s.of('snapshot').at(-1)!.states!
    const byKey = new Map(states.map((x) => [x.key, x]))
    expect(byKey.get(cart.key)?.value).toEqual({ items: ['apple'], token: '[redacted]' })
    expect(byKey.get(cart.key)?.stamp).toEqual(cart.stamp())
    expect(byKey.get(theme.key)?.value).toBe('light')
    expect(byKey.get(theme.key)?.stamp).toBeUndefined()
    expect(JSON.stringify(s.got)).not.toContain('T0P')
    theme.close()
    post(msg({ kind: 'command', nonce: 'n', id: 'snap', command: { op: 'snapshot' } }))
    await until(() => s.of('snapshot').at(-1)!.states!.length === 1, 'closed state gone')
    expect(s.of('snapshot').at(-1)!.states!.map((x) => x.key)).toEqual([cart.key])
  })
})
