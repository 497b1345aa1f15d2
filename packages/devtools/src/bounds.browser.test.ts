// The agent's bounds in real Chromium, end to end over window.postMessage: huge payloads of every
// shape are streamed capped with markers, hostile data becomes placeholders (the event is still
// shown), publish() never reads the payload, a batch's reading is bounded, and the replay buffer
// is bounded in bytes.
import { afterEach, describe, expect, it } from 'vitest'
import { createBus } from '@tidings/core'
import { connectDevtools } from './index.js'
import { type ResultMsg, isWireItem, msg } from './protocol.js'
import { DEFAULT_LIMITS } from './sanitize.js'
import { cleanup, post, publishes, session, until } from './test-helpers.js'

afterEach(cleanup)

const BIG = 200_000
const MB = 1024 * 1024

describe('bounded work per event', () => {
  it('streams a huge Map, Set, object, array, string and typed array capped, saying how much was left out', async () => {
    const { bus, s } = await session()
    const payloads: [string, unknown][] = [
      ['map', new Map(Array.from({ length: BIG }, (_, i) => [`k${i}`, i]))],
      ['set', new Set(Array.from({ length: BIG }, (_, i) => i))],
      ['object', Object.fromEntries(Array.from({ length: BIG }, (_, i) => [`k${i}`, i]))],
      ['array', Array.from({ length: BIG }, (_, i) => i)],
      ['string', 's'.repeat(5 * MB)],
      ['bytes', new Uint8Array(5 * MB)],
    ]
    // one per batch: a 200k-key object alone spends a batch's read budget (V8 lists its keys first)
    for (const [i, [type, data]] of payloads.entries()) {
      bus.publish(`big.${type}`, data)
      await until(() => publishes(s).length === i + 1, `the ${type} item`)
    }
    const data = Object.fromEntries(publishes(s).map((p) => [p.event.type, p.event.data]))
    const map = data['big.map'] as Record<string, unknown>
    expect(Object.keys(map)).toHaveLength(DEFAULT_LIMITS.maxKeys + 1)
    expect([map['k0'], map['k199'], map['…']]).toEqual([0, 199, `${BIG - 200} more entries`])
    const set = data['big.set'] as unknown[]
    expect(set).toHaveLength(201)
    expect([set[0], set[199], set[200]]).toEqual([0, 199, `… ${BIG - 200} more`])
    const obj = data['big.object'] as Record<string, unknown>
    expect(Object.keys(obj)).toHaveLength(201)
    expect([obj['k0'], obj['k199'], obj['…']]).toEqual([0, 199, 'over 2000 more keys'])
    const arr = data['big.array'] as unknown[]
    expect([arr.length, arr[199], arr[200]]).toEqual([201, 199, `… ${BIG - 200} more`])
    expect(data['big.string']).toBe(`${'s'.repeat(4000)}… (${5 * MB} chars)`)
    expect(data['big.bytes']).toBe(`Uint8Array(${5 * MB}) [${Array(32).fill(0).join(', ')}, … ${5 * MB - 32} more]`)
    expect(publishes(s).every((p) => p.cut === true)).toBe(true)
    expect(s.invalid).toEqual([])
  })

  it('shows an event whose data throws or is a revoked Proxy, with a placeholder naming the path and the error', async () => {
    const { bus, s } = await session()
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {})
    revoke()
    bus.publish('hostile.getter', {
      id: 7,
      get account(): unknown {
        throw new RangeError('account is locked')
      },
    })
    bus.publish('hostile.proxy', { nested: { list: [proxy] } })
    bus.publish('hostile.root', proxy, { metadata: proxy as Record<string, unknown> })
    bus.publish('plain.after', { fine: true })
    await until(() => publishes(s).length === 4, 'four publish items')
    const [getter, nested, root, after] = publishes(s)
    expect(getter!.event.data).toEqual({ id: 7, account: '[unreadable data.account: RangeError: account is locked]' })
    expect((nested!.event.data as { nested: { list: string[] } }).nested.list[0]).toMatch(/^\[unreadable data\.nested\.list\.0: TypeError: .*revoked/)
    expect(root!.event.data).toMatch(/^\[unreadable data: TypeError: /)
    expect(root!.event.metadata?.['…']).toMatch(/^\[unreadable metadata: TypeError: /)
    expect([getter!.cut, nested!.cut, root!.cut, after!.cut]).toEqual([true, true, true, undefined])
    expect(after!.event.data).toEqual({ fine: true })
    expect(s.invalid).toEqual([])
  })

  it('reads nothing of the payload inside publish(): data is read when the batch is posted', async () => {
    const { bus, s } = await session({ batchMs: 50 })
    let reads = 0
    const data = {
      get value() {
        reads++
        return 42
      },
    }
    bus.publish('lazy.read', data)
    expect(reads).toBe(0)
    await until(() => publishes(s).length === 1, 'the publish item')
    // Twice, both at batch time: the preview, then the exact copy small data also travels as.
    expect(reads).toBe(2)
    expect(publishes(s)[0]!.event.data).toEqual({ value: 42 })
  })

  it('past the batch read budget, the rest of the batch goes out without data (counted), never dropped', async () => {
    // batchMs 20 -> a 2 ms budget; the first event's getter alone takes 30 ms
    const { bus, agent, s } = await session({ batchMs: 20, timing: true })
    bus.subscribe('slow.*', () => {})
    const slow = {
      get v() {
        const end = performance.now() + 30
        while (performance.now() < end) {
          // busy: a getter that computes
        }
        return 'done'
      },
    }
    bus.publish('slow.first', slow)
    for (let i = 0; i < 5; i++) bus.publish('slow.next', { i })
    await until(() => publishes(s).length === 6, 'six publish items')
    const items = publishes(s)
    expect(items[0]!.event.data).toEqual({ v: 'done' })
    expect(items.slice(1).map((p) => p.event.data)).toEqual(Array(5).fill('[not read: 2 ms budget spent]'))
    expect(items.slice(1).every((p) => p.cut === true)).toBe(true)
    expect(agent.stats().unread).toBe(5)
    // their deliveries (timing on) are streamed as usual
    expect(s.items().filter((i) => i.kind === 'deliver')).toHaveLength(6)
    expect(s.items().every(isWireItem)).toBe(true)
  })
})

const replayed = (s: Awaited<ReturnType<typeof session>>['s'], id: string) => s.of('result').find((r) => r.id === id) as ResultMsg | undefined

describe('replay buffer bounded in bytes', () => {
  it('keeps the newest events within replayBufferBytes, evicting the oldest, and refuses to replay a cut copy', async () => {
    const budget = 12 * MB
    // batchMs 3000: a 300 ms read budget, so every event of the burst is read (and sized) even
    // on a loaded 2-core machine (each 1 MiB rope is flattened on its first read)
    const { bus, agent, s } = await session({ replayBufferBytes: budget, batchMs: 3000 })
    const heard: number[] = []
    bus.subscribe('blob.*', (e) => heard.push((e.data as { n: number; body: string }).body.length))
    for (let n = 0; n < 20; n++) bus.publish('blob.x', { n, body: String(n % 10).repeat(MB) })
    await until(() => publishes(s).length === 20, 'twenty publish items')
    const st = agent.stats()
    // 1 MiB + a little per event: 11 fit in 12 MiB
    expect(st.replayEvents).toBe(11)
    expect(st.replayBytes).toBeLessThanOrEqual(budget)
    expect(st.replayBytes).toBeGreaterThan(11 * MB)
    const ids = publishes(s).map((p) => p.event.id)
    // the newest is held: replayed with its full 1 MiB body
    post(msg({ kind: 'command', nonce: 'n', id: 'new', command: { op: 'replay', eventId: ids[19]! } }))
    // the oldest was evicted, and the panel's copy was capped (4000 chars of 1 MiB): refused
    post(msg({ kind: 'command', nonce: 'n', id: 'old', command: { op: 'replay', eventId: ids[0]! } }))
    await until(() => s.of('result').length === 2, 'two results')
    expect(replayed(s, 'new')).toMatchObject({ ok: true })
    expect(replayed(s, 'old')).toMatchObject({ ok: false, error: { name: 'ReplayError', message: expect.stringMatching(/no longer held by the page/) } })
    expect(heard).toEqual([...Array(20).fill(MB), MB])
  })

  it('by default (4 MiB) never keeps a 5 MB payload alive, and 0 turns the buffer off', async () => {
    const { bus, agent, s } = await session({ batchMs: 500 })
    bus.publish('small.x', { ok: 1 })
    // one string for all (repeat() builds a rope; V8 copies it flat on the first slice, once)
    const huge = 'x'.repeat(5 * MB)
    for (let i = 0; i < 20; i++) bus.publish('huge.x', huge)
    await until(() => publishes(s).length === 21, 'twenty-one publish items')
    expect(agent.stats().unread).toBe(0)
    expect(agent.stats().replayEvents).toBe(1)
    expect(agent.stats().replayBytes).toBeLessThan(1024)
    cleanup()
    const off = await session({ replayBufferBytes: 0 })
    off.bus.publish('small.y', 1)
    await until(() => publishes(off.s).length === 1, 'one publish item')
    expect(off.agent.stats().replayEvents).toBe(0)
  })

  it('rejects a bad replayBufferBytes', () => {
    expect(() => connectDevtools(createBus(), { replayBufferBytes: -1 })).toThrow(expect.objectContaining({ name: 'DevtoolsOptionsError', option: 'replayBufferBytes' }))
    expect(() => connectDevtools(createBus(), { replayBufferBytes: 1.5 })).toThrow(/non-negative integer/)
  })
})
