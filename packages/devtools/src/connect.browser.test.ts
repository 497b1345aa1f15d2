// The agent in real Chromium: window.postMessage between a simulated content script (this test)
// and connectDevtools on a real bus.
import { afterEach, describe, expect, it } from 'vitest'
import { createBus } from '@tidings/core'
import { connectDevtools } from './index.js'
import { type ResultMsg, type SnapshotMsg, msg } from './protocol.js'
import { cleanup, post, publishes, setup, tick, until } from './test-helpers.js'

afterEach(cleanup)

/** A session at 100 kept events/s, flooded with 3000 publishes in one task, once the agent has
 *  accounted for every one of them (kept or skipped). */
async function flooded() {
  const { bus, s } = setup({ maxEventsPerSecond: 100 })
  post(msg({ kind: 'hello', nonce: 'n', leaseMs: 10_000 }))
  await until(() => s.of('ready').length === 1, 'ready')
  for (let i = 0; i < 3000; i++) bus.publish('flood.x', i)
  await until(() => s.items().length + s.skipped() === 3000, 'kept + skipped = 3000')
  return { bus, s }
}

describe('connectDevtools', () => {
  it('stays silent (only an announce) until a hello arrives', async () => {
    const { bus, agent, s } = setup()
    bus.subscribe('a.*', () => {})
    for (let i = 0; i < 10; i++) bus.publish('a.b', { i })
    await tick(80)
    expect(agent.connected).toBe(false)
    expect(s.got.map((m) => m.kind)).toEqual(['announce'])
    expect(agent.stats().batches).toBe(0)
  })

  it('streams publishes, deliveries (timing on) and subscriptions after hello, with redacted fields removed', async () => {
    const { bus, agent, s } = setup({ redact: ['password', 'card.number'], timing: true })
    const sub = bus.subscribe('user.*', () => {}, { label: 'login-handler' })
    post(msg({ kind: 'hello', nonce: 'n1', leaseMs: 10_000 }))
    await until(() => s.of('ready').length === 1 && s.of('snapshot').length >= 1, 'ready + snapshot')
    expect(agent.connected).toBe(true)
    const ready = s.of('ready')[0]!
    expect(ready.nonce).toBe('n1')
    expect(ready.agent.bus).toBe('test-bus')
    expect(ready.agent.origin).toBe(bus.origin)
    const snap = s.of('snapshot')[0]!
    expect(snap.subscriptions.map((x) => x.label)).toEqual(['login-handler'])

    bus.publish('user.login', { name: 'ada', password: 'hunter2', card: { number: '4111', brand: 'visa' } })
    bus.publish('user.logout', { name: 'ada' })
    await until(() => s.items().filter((i) => i.kind === 'publish').length === 2, 'two publish items')
    const items = s.items()
    const pubs = items.filter((i) => i.kind === 'publish')
    expect(pubs.map((p) => p.event.type)).toEqual(['user.login', 'user.logout'])
    expect(pubs[0]!.event.data).toEqual({ name: 'ada', password: '[redacted]', card: { number: '[redacted]', brand: 'visa' } })
    expect(JSON.stringify(s.got)).not.toContain('hunter2')
    expect(JSON.stringify(s.got)).not.toContain('4111')
    expect(pubs[0]!.ctx).toEqual({ origin: bus.origin })
    expect(pubs[0]!.receipt.delivered).toBe(1)
    const delivers = items.filter((i) => i.kind === 'deliver')
    expect(delivers.map((d) => [d.eventId, d.sub])).toEqual([
      [pubs[0]!.event.id, sub.id],
      [pubs[1]!.event.id, sub.id],
    ])
    // deliveries precede their publish item (the receipt is known after delivery)
    expect(items.findIndex((i) => i.kind === 'deliver')).toBeLessThan(items.findIndex((i) => i.kind === 'publish'))

    const sub2 = bus.subscribe('order.**', () => {
      throw new Error('boom')
    })
    bus.publish('order.created', { id: 1 })
    sub2.unsubscribe()
    await until(() => s.items().some((i) => i.kind === 'unsubscribe'), 'unsubscribe item')
    const kinds = s.items().slice(items.length).map((i) => (i.kind === 'publish' ? `publish:${i.event.type}` : i.kind))
    // the failure is also published as $tidings.error (a system topic) before the delivery completes
    expect(kinds).toEqual(['subscribe', 'error', 'publish:$tidings.error', 'deliver', 'publish:order.created', 'unsubscribe'])
    const err = s.items().find((i) => i.kind === 'error')
    expect(err?.kind === 'error' && err.error.message).toBe('boom')
    expect(s.invalid).toEqual([])
  })

  it('obeys commands only with the session nonce and reports results', async () => {
    const { bus, s } = setup()
    const seen: unknown[] = []
    bus.subscribe('cmd.**', (e) => seen.push(e.data))
    post(msg({ kind: 'hello', nonce: 'good', leaseMs: 10_000 }))
    await until(() => s.of('ready').length === 1, 'ready')
    post(msg({ kind: 'command', nonce: 'forged', id: 'c1', command: { op: 'publish', type: 'cmd.evil', data: 1 } }))
    post({ tag: 'tidings.devtools', v: 1, kind: 'command', id: 'c2', command: { op: 'publish', type: 'cmd.evil' } })
    post(msg({ kind: 'command', nonce: 'good', id: 'c3', command: { op: 'publish', type: 'cmd.ok', data: { x: 1 } } }))
    post(msg({ kind: 'command', nonce: 'good', id: 'c4', command: { op: 'publish', type: 'bad topic!' } }))
    await until(() => s.of('result').length === 2, 'two results')
    expect(seen).toEqual([{ x: 1 }])
    const [r3, r4] = s.of('result') as ResultMsg[]
    expect(r3).toMatchObject({ id: 'c3', ok: true })
    expect(r3!.eventId).toMatch(/:/)
    expect(r4).toMatchObject({ id: 'c4', ok: false })
    expect(r4!.error?.name).toBe('InvalidTopicError')
  })

  it('replays the original (unredacted) event with a new id and metadata.replayOf', async () => {
    const { bus, s } = setup({ redact: ['secret'] })
    const seen: { id: string; data: unknown; replayOf: unknown }[] = []
    bus.subscribe('r.*', (e) => seen.push({ id: e.id, data: e.data, replayOf: e.metadata?.['replayOf'] }))
    post(msg({ kind: 'hello', nonce: 'n', leaseMs: 10_000 }))
    await until(() => s.of('ready').length === 1, 'ready')
    const { id } = bus.publish('r.x', { secret: 's3', v: 1 })
    post(msg({ kind: 'command', nonce: 'n', id: 'rp', command: { op: 'replay', eventId: id } }))
    await until(() => s.of('result').length === 1, 'result')
    expect(s.of('result')[0]).toMatchObject({ ok: true })
    expect(seen.map((x) => x.data)).toEqual([{ secret: 's3', v: 1 }, { secret: 's3', v: 1 }])
    expect(seen[1]!.replayOf).toBe(id)
    expect(seen[1]!.id).not.toBe(id)
    post(msg({ kind: 'command', nonce: 'n', id: 'rp2', command: { op: 'replay', eventId: 'nope:1' } }))
    await until(() => s.of('result').length === 2, 'second result')
    expect(s.of('result')[1]).toMatchObject({ id: 'rp2', ok: false })
    // not held by the page: the panel's copy is used, unless it carries redaction placeholders
    const held = { id: 'gone:1', type: 'r.y', timestamp: 1, version: 1 as const, data: { v: 2 }, origin: 'gone', seq: 1 }
    post(msg({ kind: 'command', nonce: 'n', id: 'rp3', command: { op: 'replay', eventId: 'gone:1', event: held } }))
    post(msg({ kind: 'command', nonce: 'n', id: 'rp4', command: { op: 'replay', eventId: 'gone:2', event: { ...held, id: 'gone:2', data: { secret: '[redacted]' } } } }))
    await until(() => s.of('result').length === 4, 'four results')
    expect(s.of('result').slice(2).map((r) => [r.id, r.ok])).toEqual([
      ['rp3', true],
      ['rp4', false],
    ])
    expect(seen.map((x) => x.data)).toEqual([{ secret: 's3', v: 1 }, { secret: 's3', v: 1 }, { v: 2 }])
  })

  it('samples above maxEventsPerSecond and counts what it skipped', async () => {
    const { s } = await flooded()
    const kept = s.items().filter((i) => i.kind === 'publish')
    expect(kept.length).toBe(100)
    expect(s.skipped()).toBe(2900)
    // kept ones are in publish order
    const data = kept.map((k) => (k.kind === 'publish' ? (k.event.data as number) : -1))
    expect([...data].sort((a, b) => a - b)).toEqual(data)
  })

  it('its batch timer starts the next sampling window a second later, with a stride fitted to the offered rate', async () => {
    const { bus, s } = await flooded()
    // no publish can open a window: only the timer does, once a second has passed
    await tick(1200)
    for (let i = 0; i < 3000; i++) bus.publish('flood.y', i)
    await until(() => s.items().length + s.skipped() === 6000, 'second window accounted for')
    const second = publishes(s).filter((p) => p.event.type === 'flood.y')
    // 3000 offered in the first window (>= 1 s) -> a stride of at most 30: seq multiples of it
    // (about 1 s -> 30; 20 if the timer ran late: a 1.5 s window)
    const seqs = second.map((p) => p.event.seq)
    const stride = seqs[1]! - seqs[0]!
    expect(stride).toBeGreaterThanOrEqual(20)
    expect(stride).toBeLessThanOrEqual(30)
    expect(seqs.every((q) => q % stride === 0)).toBe(true)
    // at most maxEventsPerSecond: 3000 / 30 multiples, or more with a smaller stride
    expect(second.length).toBe(100)
  })

  it('runs panel commands in order once commands.ts is loaded, and drops one whose session ended meanwhile', async () => {
    const bus = createBus({ name: 'cmd-bus' })
    const seen: string[] = []
    bus.subscribe('cmd.*', (e) => void seen.push(e.type))
    // a target of our own, so messages can be handed to the agent within one task
    let listener: ((e: MessageEvent) => void) | undefined
    const posted: { kind: string; id?: string; ok?: boolean }[] = []
    const agent = connectDevtools(bus, {
      target: { postMessage: (m) => void posted.push(m as (typeof posted)[number]), addEventListener: (_t, l) => (listener = l), removeEventListener() {} },
    })
    const send = (m: unknown) => listener!({ data: m } as MessageEvent)
    const results = () => posted.filter((m) => m.kind === 'result').map((m) => [m.id, m.ok])
    send(msg({ kind: 'hello', nonce: 'a', leaseMs: 10_000 }))
    // both before the module is loaded: answered in the order they came
    send(msg({ kind: 'command', nonce: 'a', id: 'c1', command: { op: 'publish', type: 'cmd.kept' } }))
    send(msg({ kind: 'command', nonce: 'a', id: 'c2', command: { op: 'snapshot' } }))
    await until(() => results().length === 2, 'two results')
    expect(results()).toEqual([
      ['c1', true],
      ['c2', true],
    ])
    // a command, then the panel closes, in one task: the command never runs
    send(msg({ kind: 'command', nonce: 'a', id: 'c3', command: { op: 'publish', type: 'cmd.dropped' } }))
    send(msg({ kind: 'bye', nonce: 'a' }))
    await tick(50)
    expect(seen).toEqual(['cmd.kept'])
    expect(results().map(([id]) => id)).toEqual(['c1', 'c2'])
    expect(agent.stats().commands).toBe(3)
    agent.disconnect()
  })

  it('pause skips events, resume streams again; snapshot reports paused', async () => {
    const { bus, agent, s } = setup()
    post(msg({ kind: 'hello', nonce: 'n', leaseMs: 10_000 }))
    await until(() => s.of('ready').length === 1, 'ready')
    post(msg({ kind: 'command', nonce: 'n', id: 'p', command: { op: 'pause' } }))
    await until(() => agent.paused, 'paused')
    bus.publish('p.a', 1)
    bus.publish('p.b', 2)
    post(msg({ kind: 'command', nonce: 'n', id: 'r', command: { op: 'resume' } }))
    await until(() => !agent.paused, 'resumed')
    bus.publish('p.c', 3)
    await until(() => s.items().length === 1, 'one item')
    await tick(60)
    expect(s.items().map((i) => (i.kind === 'publish' ? i.event.type : i.kind))).toEqual(['p.c'])
    expect(s.skipped()).toBe(2)
    expect((s.of('snapshot') as SnapshotMsg[]).some((x) => x.paused)).toBe(true)
  })

  it('ends the session on bye, on an expired lease, and restarts on a new hello', async () => {
    const { bus, agent, s } = setup()
    post(msg({ kind: 'hello', nonce: 'a', leaseMs: 10_000 }))
    await until(() => agent.connected, 'connected')
    post(msg({ kind: 'bye', nonce: 'wrong' }))
    await tick(30)
    expect(agent.connected).toBe(true)
    post(msg({ kind: 'bye', nonce: 'a' }))
    await until(() => !agent.connected, 'bye')
    bus.publish('x.y', 1)
    post(msg({ kind: 'hello', nonce: 'b', leaseMs: 150 }))
    await until(() => agent.connected, 'connected again')
    await until(() => !agent.connected, 'lease expired', 3000)
    expect(agent.stats().sessions).toBe(2)
    expect(s.items()).toEqual([])
  })

  it('rejects bad options with DevtoolsOptionsError', () => {
    const bus = createBus()
    expect(() => connectDevtools(bus, { maxEventsPerSecond: 0 })).toThrow(/maxEventsPerSecond/)
    expect(() => connectDevtools(bus, { redact: [''] })).toThrow(expect.objectContaining({ name: 'DevtoolsOptionsError' }))
  })

  it('ignores malformed tagged messages and counts them', async () => {
    const { agent } = setup()
    post({ tag: 'tidings.devtools', v: 1, kind: 'hello', nonce: 'x', leaseMs: -1 })
    post({ tag: 'tidings.devtools', v: 1, kind: 'command', nonce: 'x', id: 'c', command: { op: 'rm -rf' } })
    post({ tag: 'tidings.devtools', v: 2, kind: 'hello', nonce: 'x', leaseMs: 100 })
    await tick(50)
    expect(agent.connected).toBe(false)
    // the v2 hello carries our tag: a version this agent does not speak is counted too
    expect(agent.stats().ignored).toBe(3)
  })
})
