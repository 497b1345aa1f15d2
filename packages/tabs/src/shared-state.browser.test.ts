// Real BroadcastChannel and IndexedDB: two buses in one page act as two tabs.
import { afterEach, describe, expect, it } from 'vitest'
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import { broadcast } from './broadcast.js'
import { sharedState, STATE_TOPIC, type SharedState, type SharedStateOptions } from './shared-state.js'
import { sleep, uniqueChannel, waitFor } from './test-helpers.js'

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
    expect(b.isLocal(events[0]!)).toBe(true)
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
    broadcast(bc, { t: 'tidings.state', v: 1, kind: 'value', from: 'mallory', stamp, value: 'unsigned' })
    broadcast(bc, { t: 'tidings.state', v: 1, kind: 'signed', body: JSON.stringify({ t: 'tidings.state', v: 1, kind: 'value', from: 'm', stamp, value: 'forged' }), sig: new Uint8Array(32) })
    await waitFor(() => a.stats().unsigned >= 1 && a.stats().forged >= 2, 'unsigned and forged counted')
    await sleep(100)
    expect(a.get()).toBe('from a')
    expect(late.get()).toBe('from a')
    expect(() => a.set(10n as unknown)).toThrow(TypeError) // BigInt is not JSON
    expect(a.get()).toBe('from a')
  })

  it('ignores malformed messages, far-future stamps and values the validator rejects', async () => {
    const key = uniqueChannel('k')
    const a = state(key, 1, { validate: (v): v is number => typeof v === 'number' })
    await a.ready
    const bc = new BroadcastChannel(`tidings.state:tidings:${key}`)
    cleanups.push(() => bc.close())
    broadcast(bc, 'garbage')
    broadcast(bc, { t: 'tidings.state', v: 1, kind: 'value', from: 'x', stamp: { t: 'no' }, value: 9 })
    broadcast(bc, { t: 'tidings.state', v: 1, kind: 'value', from: 'x', stamp: { t: Date.now() + 1e10, c: 0, o: 'x' }, value: 9 })
    broadcast(bc, { t: 'tidings.state', v: 1, kind: 'value', from: 'x', stamp: { t: Date.now() + 10, c: 0, o: 'x' }, value: 'not a number' })
    broadcast(bc, { t: 'tidings.state', v: 1, kind: 'value', from: 'x', stamp: { t: Date.now() + 10, c: 0, o: 'x' }, value: 7 })
    await waitFor(() => a.get() === 7, 'the valid write')
    expect(a.stats().malformed).toBe(4)
    expect(a.stats().applied).toBe(1)
    a.close()
    expect(() => a.set(3)).toThrow(expect.objectContaining({ name: 'TabsClosedError' }))
  })
})
