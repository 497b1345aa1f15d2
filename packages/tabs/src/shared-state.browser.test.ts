// Real BroadcastChannel and IndexedDB: two buses in one page act as two tabs.
import { afterEach, describe, expect, it } from 'vitest'
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import { encode } from '@tidings/core/bridge'
import { broadcast } from './broadcast.js'
import { sharedState, STATE_TOPIC, type SharedState, type SharedStateOptions } from './shared-state.js'
import { sleep, uniqueChannel, waitFor } from './test-helpers.js'
import { bridgeHost } from '@tidings/core/bridge'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c()
})

function bus(): Bus {
  const b = createBus()
  cleanups.push(() => b.shutdown())
  return b
}

function state<T>(key: string, initial: T, opts: SharedStateOptions<T> = {}): SharedState<T> {
  // A peer answers within milliseconds; the generous wait only matters on a loaded machine.
  const s = sharedState(bus(), key, initial, { peerWaitMs: 1500, ...opts })
  cleanups.push(() => s.close())
  return s
}

describe('sharedState', () => {
  it('a set in one tab shows in the other; set(fn) gets the current value', async () => {
    const key = uniqueChannel('k')
    const a = state(key, { n: 0 })
    const b = state(key, { n: 0 })
    await Promise.all([a.ready, b.ready])
    const seen: number[] = []
    b.value$.subscribe((v) => seen.push(v.n))
    a.set({ n: 1 })
    await waitFor(() => b.get().n === 1, 'b to see 1')
    b.set((v) => ({ n: v.n + 10 }))
    await waitFor(() => a.get().n === 11, 'a to see 11')
    expect(seen).toEqual([0, 1, 11])
    expect(a.stamp()).toEqual(b.stamp())
  })

  it('converges under concurrent writes from three tabs', async () => {
    const key = uniqueChannel('k')
    const tabs = [state(key, -1), state(key, -1), state(key, -1)]
    await Promise.all(tabs.map((t) => t.ready))
    for (let i = 0; i < 200; i++) tabs[i % 3]!.set(i * 10 + (i % 3))
    // Everyone sets at the same moment, many times.
    for (let round = 0; round < 20; round++) {
      tabs.forEach((t, i) => t.set(10_000 + round * 10 + i))
      await Promise.resolve()
    }
    await waitFor(() => new Set(tabs.map((t) => t.get())).size === 1, 'all three to agree', 5000)
    await sleep(100)
    const values = tabs.map((t) => t.get())
    expect(new Set(values).size).toBe(1)
    const stamps = tabs.map((t) => JSON.stringify(t.stamp()))
    expect(new Set(stamps).size).toBe(1)
    // The winner is one of the last round's writes.
    expect(values[0]).toBeGreaterThanOrEqual(10_190)
    expect(values[0]).toBeLessThanOrEqual(10_192)
  })

  it('a late joiner gets the current value from an open tab', async () => {
    const key = uniqueChannel('k')
    const a = state(key, 'initial')
    await a.ready
    a.set('current')
    const late = state(key, 'initial')
    expect(await late.ready).toBe('current')
    expect(late.stats().readyFrom).toBe('peer')
    const lonely = state(uniqueChannel('k'), 'initial')
    expect(await lonely.ready).toBe('initial')
    expect(lonely.stats().readyFrom).toBe('initial')
  })

  it('with persist, a tab opened after all others closed gets the value from IndexedDB', async () => {
    const key = uniqueChannel('k')
    const dbName = uniqueChannel('db')
    const a = sharedState(bus(), key, 0, { persist: true, dbName, peerWaitMs: 50 })
    await a.ready
    a.set(1)
    a.set(2)
    a.set((v) => v + 40)
    await a.flush() // write-behind
    a.close()
    const b = sharedState(bus(), key, 0, { persist: true, dbName, peerWaitMs: 50 })
    cleanups.push(() => b.close())
    expect(await b.ready).toBe(42)
    expect(b.stats().readyFrom).toBe('storage')
    // A later write from b wins over the stored one and is stored in turn.
    b.set(43)
    await b.flush()
    b.close()
    const c = sharedState(bus(), key, 0, { persist: true, dbName, peerWaitMs: 50 })
    cleanups.push(() => c.close(), () => indexedDB.deleteDatabase(dbName))
    expect(await c.ready).toBe(43)
  })

  it('publishes a local bus event on every change', async () => {
    const key = uniqueChannel('k')
    const b = bus()
    const events: TidingsEvent[] = []
    b.subscribe(STATE_TOPIC, (e) => events.push(e))
    const s = sharedState(b, key, 0, { peerWaitMs: 10 })
    cleanups.push(() => s.close())
    await s.ready
    s.set(5)
    expect(events.map((e) => (e.data as { key: string; value: number }).value)).toEqual([5])
    expect(bridgeHost(b, 'test').isLocal(events[0]!)).toBe(true)
  })

  it('with a key, signs its messages and drops unsigned and forged ones', async () => {
    const key = uniqueChannel('k')
    const secret = 'shared state secret 0123456789'
    const a = state<unknown>(key, 'init', { key: secret })
    await a.ready
    a.set({ v: 1 })
    const late = state<unknown>(key, 'init', { key: secret })
    expect(await late.ready).toEqual({ v: 1 })
    late.set(undefined)
    await waitFor(() => a.get() === undefined, 'undefined to cross as undefined')
    a.set('from a')
    await waitFor(() => late.get() === 'from a', 'a signed write')

    const outsider = state<unknown>(key, 'init', { key: 'another secret 0123456789' })
    await outsider.ready
    expect(outsider.get()).toBe('init') // could not verify anyone's answer
    outsider.set('evil')
    const bc = new BroadcastChannel(`tidings.state:tidings:${key}`)
    cleanups.push(() => bc.close())
    const stamp = { t: Date.now() + 1000, c: 0, o: 'mallory' }
    broadcast(bc, { tag: 'tidings.state', v: 1, kind: 'value', from: 'mallory', stamp, value: 'unsigned' })
    broadcast(bc, { tag: 'tidings.state', v: 1, kind: 'signed', body: encode({ tag: 'tidings.state', v: 1, kind: 'value', from: 'm', stamp, value: 'forged' }, 'msg'), sig: new Uint8Array(32) })
    await waitFor(() => a.stats().unsigned >= 1 && a.stats().forged >= 2, 'unsigned and forged counted')
    await sleep(100)
    expect(a.get()).toBe('from a')
    expect(late.get()).toBe('from a')
    expect(() => a.set({ cb: () => 1 })).toThrow(expect.objectContaining({ name: 'UnencodableValueError', path: `sharedState(${JSON.stringify(key)}).value.cb` }))
    expect(a.get()).toBe('from a')
  })

  it('ignores malformed messages, far-future stamps and values the validator rejects', async () => {
    const key = uniqueChannel('k')
    const a = state(key, 1, { validate: (v): v is number => typeof v === 'number' })
    await a.ready
    const bc = new BroadcastChannel(`tidings.state:tidings:${key}`)
    cleanups.push(() => bc.close())
    broadcast(bc, 'garbage')
    broadcast(bc, { tag: 'tidings.state', v: 1, kind: 'value', from: 'x', stamp: { t: 'no' }, value: 9 })
    broadcast(bc, { tag: 'tidings.state', v: 1, kind: 'value', from: 'x', stamp: { t: Date.now() + 1e10, c: 0, o: 'x' }, value: 9 })
    broadcast(bc, { tag: 'tidings.state', v: 1, kind: 'value', from: 'x', stamp: { t: Date.now() + 10, c: 0, o: 'x' }, value: 'not a number' })
    broadcast(bc, { tag: 'tidings.state', v: 1, kind: 'value', from: 'x', stamp: { t: Date.now() + 10, c: 0, o: 'x' }, value: 7 })
    await waitFor(() => a.get() === 7, 'the valid write')
    // The far-future stamp is refused by the clock (refusedStamps), the rest is malformed.
    expect(a.stats().malformed).toBe(3)
    expect(a.stats().refusedStamps).toBe(1)
    expect(a.stats().applied).toBe(1)
    a.close()
    expect(() => a.set(3)).toThrow(expect.objectContaining({ name: 'TabsClosedError' }))
  })
})

/** A raw channel on a state's channel, for posting what a hostile script of the origin could. */
function stateChannel(key: string): BroadcastChannel {
  const bc = new BroadcastChannel(`tidings.state:tidings:${key}`)
  cleanups.push(() => bc.close())
  return bc
}

describe('sharedState clock bounds', () => {
  it('refuses a stamp with counter MAX_SAFE_INTEGER, counts it, and tabs keep converging', async () => {
    const key = uniqueChannel('k')
    const a = state(key, 'init')
    const b = state(key, 'init')
    await Promise.all([a.ready, b.ready])
    a.set('before')
    await waitFor(() => b.get() === 'before', 'b to see before')
    const before = a.stamp()!
    // Counter at 2^53 - 1, wall time up to a day ahead: the old bound (24 h) let it in.
    broadcast(stateChannel(key), { tag: 'tidings.state', v: 1, kind: 'value', from: 'mallory', stamp: { t: Date.now() + 3600_000, c: Number.MAX_SAFE_INTEGER, o: 'mallory' }, value: 'poison' })
    broadcast(stateChannel(key), { tag: 'tidings.state', v: 1, kind: 'value', from: 'mallory', stamp: { t: Date.now(), c: Number.MAX_SAFE_INTEGER, o: 'mallory' }, value: 'poison now' })
    await waitFor(() => a.stats().refusedStamps === 2 && b.stats().refusedStamps === 2, 'both tabs to refuse both stamps')
    expect([a.get(), b.get()]).toEqual(['before', 'before'])
    expect(a.stats().applied + b.stats().applied).toBe(1) // only b applying 'before'
    expect(a.stamp()).toEqual(before)
    // The clocks did not move: the next writes are stamped from the wall clock, and cross.
    a.set('after 1')
    const s1 = a.stamp()!
    expect(s1.c).toBeLessThan(2 ** 31)
    expect(s1.t).toBeLessThanOrEqual(Date.now())
    await waitFor(() => b.get() === 'after 1', 'b to see after 1')
    b.set((v) => `${v} + b`)
    await waitFor(() => a.get() === 'after 1 + b', 'a to see b’s write')
    expect([a.get(), b.get()]).toEqual(['after 1 + b', 'after 1 + b'])
    expect(a.stamp()).toEqual(b.stamp())
    expect(a.stamp()!.c).toBeLessThan(2 ** 31)
    expect([a.stats().malformed, b.stats().malformed]).toEqual([0, 0])
  })

  it('accepts a stamp 30 s ahead and refuses one 2 min ahead; maxClockSkewMs moves the bound', async () => {
    const key = uniqueChannel('k')
    const a = state(key, 0)
    const b = state(key, 0)
    const wide = state(key, 0, { maxClockSkewMs: 5 * 60_000 })
    await Promise.all([a.ready, b.ready, wide.ready])
    const bc = stateChannel(key)
    const ahead30s = { t: Date.now() + 30_000, c: 0, o: 'm' }
    broadcast(bc, { tag: 'tidings.state', v: 1, kind: 'value', from: 'm', stamp: ahead30s, value: 30 })
    await waitFor(() => a.get() === 30 && b.get() === 30 && wide.get() === 30, 'the 30 s stamp everywhere')
    expect(a.stamp()).toEqual(ahead30s)
    broadcast(bc, { tag: 'tidings.state', v: 1, kind: 'value', from: 'm', stamp: { t: Date.now() + 2 * 60_000, c: 0, o: 'm' }, value: 120 })
    await waitFor(() => a.stats().refusedStamps === 1 && b.stats().refusedStamps === 1 && wide.get() === 120, 'a and b to refuse, wide to accept')
    expect([a.get(), b.get(), wide.get()]).toEqual([30, 30, 120])
    expect(wide.stats().refusedStamps).toBe(0)
    // A write after the accepted stamp orders after it, and every tab takes it.
    a.set(31)
    expect(a.stamp()!.t).toBe(ahead30s.t)
    await waitFor(() => b.get() === 31, 'b to see 31')
    expect(b.stamp()).toEqual(a.stamp())
    expect(() => sharedState(bus(), key, 0, { maxClockSkewMs: 2 * 86_400_000 })).toThrow(expect.objectContaining({ name: 'TabsOptionError', option: 'maxClockSkewMs' }))
  })

  it('refuses a stored stamp too far ahead (IndexedDB is writable by any script of the origin)', async () => {
    const key = uniqueChannel('k')
    const dbName = uniqueChannel('db')
    const writer = sharedState(bus(), key, 'init', { persist: true, dbName, peerWaitMs: 10, maxClockSkewMs: 86_400_000 })
    await writer.ready
    broadcast(stateChannel(key), { tag: 'tidings.state', v: 1, kind: 'value', from: 'm', stamp: { t: Date.now() + 3600_000, c: 0, o: 'm' }, value: 'from the future' })
    await waitFor(() => writer.get() === 'from the future', 'the wide tab to take it')
    await writer.flush()
    writer.close()
    const reader = sharedState(bus(), key, 'init', { persist: true, dbName, peerWaitMs: 10 })
    cleanups.push(() => reader.close(), () => indexedDB.deleteDatabase(dbName))
    expect(await reader.ready).toBe('init')
    expect(reader.stats().refusedStamps).toBe(1)
    reader.set('now')
    expect(reader.stamp()!.t).toBeLessThanOrEqual(Date.now())
  })
})

function rich(): Record<string, unknown> {
  const v: Record<string, unknown> = { byId: new Map([['u1', 1]]), at: new Date(0), big: 10n ** 20n, tags: new Set(['a']), nothing: undefined }
  v['self'] = v
  return v
}

function expectRich(got: unknown): void {
  const v = got as Record<string, unknown>
  expect(v['byId']).toEqual(new Map([['u1', 1]]))
  expect(v['at']).toEqual(new Date(0))
  expect(v['big']).toBe(10n ** 20n)
  expect(v['tags']).toEqual(new Set(['a']))
  expect('nothing' in v && v['nothing'] === undefined).toBe(true)
  expect(v['self']).toBe(v)
}

describe('sharedState values arrive as set', () => {
  for (const keyed of [true, false]) {
    const opts: SharedStateOptions<unknown> = keyed ? { key: 'shared state secret 0123456789' } : {}
    const how = keyed ? 'with a key (the encoding)' : 'without a key (structured clone)'

    it(`${how}: Map, Date, BigInt, Set, undefined and a cycle arrive as set, also to a late joiner`, async () => {
      const key = uniqueChannel('k')
      const a = state<unknown>(key, null, opts)
      const b = state<unknown>(key, null, opts)
      await Promise.all([a.ready, b.ready])
      const value = rich()
      a.set(value)
      expect(a.get()).toBe(value)
      await waitFor(() => b.get() !== null, 'b to get the value')
      expectRich(b.get())
      expect(b.stamp()).toEqual(a.stamp())
      const late = state<unknown>(key, null, opts)
      await late.ready
      expectRich(late.get())
      expect(late.stats().readyFrom).toBe('peer')
    })

    it(`${how}: a value that cannot travel makes set() throw naming the path, and nothing changes anywhere`, async () => {
      const key = uniqueChannel('k')
      const a = state<unknown>(key, { n: 0 }, opts)
      const b = state<unknown>(key, { n: 0 }, opts)
      await Promise.all([a.ready, b.ready])
      a.set({ n: 1 })
      await waitFor(() => (b.get() as { n: number }).n === 1, 'b to see n: 1')
      const seen: unknown[] = []
      b.value$.subscribe((v) => seen.push(v))
      const stampBefore = a.stamp()
      const root = `sharedState(${JSON.stringify(key)}).value`
      expect(() => a.set({ n: 2, byId: new Map([['u1', { onClick: () => 1 }]]) })).toThrow(
        expect.objectContaining({ name: 'UnencodableValueError', kind: 'function', path: `${root}.byId.get("u1").onClick` }),
      )
      expect(() => a.set({ n: 3, list: [1, new WeakMap()] })).toThrow(expect.objectContaining({ name: 'UnencodableValueError', kind: 'WeakMap', path: `${root}.list[1]` }))
      if (keyed) {
        // Structured clone carries a Blob; text cannot: with a key it is refused, with its path.
        expect(() => a.set({ file: new Blob(['x']) })).toThrow(expect.objectContaining({ name: 'UnencodableValueError', kind: 'Blob', path: `${root}.file` }))
      }
      expect(a.get()).toEqual({ n: 1 })
      expect(a.stamp()).toEqual(stampBefore)
      expect(a.stats().sets).toBe(1)
      // The next good write is the next thing b sees: nothing of the refused ones crossed.
      a.set({ n: 4 })
      await waitFor(() => (b.get() as { n: number }).n === 4, 'b to see n: 4')
      await sleep(50)
      expect(seen).toEqual([{ n: 1 }, { n: 4 }])
      expect(b.stats().malformed).toBe(0)
    })
  }

  it('without a key a Blob crosses (structured clone carries it)', async () => {
    const key = uniqueChannel('k')
    const a = state<unknown>(key, null)
    const b = state<unknown>(key, null)
    await Promise.all([a.ready, b.ready])
    a.set({ file: new Blob(['hello']) })
    await waitFor(() => b.get() !== null, 'b to get the blob')
    expect(await ((b.get() as { file: Blob }).file).text()).toBe('hello')
  })
})
