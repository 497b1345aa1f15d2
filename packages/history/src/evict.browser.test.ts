// Eviction of the oldest events (maxEvents) against real IndexedDB in headless Chromium: it is
// exact (the stored events are the newest, in order), and it reads only what it evicts or cuts:
// the index keys stepped onto and the segments read are counted, whatever is stored behind the
// cut. No timing assertions.
import type { TidingsEvent } from '@tidings/core'
import * as fc from 'fast-check'
import { describe, expect, test, vi } from 'vitest'
import { evictOldest } from './evict.js'
import type { Floor } from './meta.js'
import { compareEvents, makeSegment, WIDE, WINDOW } from './segment.js'
import { envelope, historyHarness, readRaw } from './test-helpers.js'

const { open } = historyHarness()
const ids = (xs: readonly TidingsEvent[]) => xs.map((e) => e.id)
const sorted = (xs: readonly TidingsEvent[]) => [...xs].sort(compareEvents)

/** A database with the history's schema holding `events` (imported, so stored as the writer
 *  stores them), and `old` events put raw as segments of the 1 s layout (keyed by their second). */
async function store(label: string, events: TidingsEvent[], old: TidingsEvent[] = []): Promise<string> {
  const { h, dbName } = open(label)
  await h.ready
  if (events.length) expect((await h.import(events)).imported).toBe(events.length)
  if (old.length) {
    await rawTx(dbName, (tx) => {
      const bySecond = new Map<string, TidingsEvent[]>()
      for (const e of sorted(old)) {
        const key = `${e.type} ${Math.floor(e.timestamp / 1000)}`
        bySecond.set(key, [...(bySecond.get(key) ?? []), e])
      }
      for (const group of bySecond.values()) tx.objectStore('segments').put({ ...makeSegment(group), bucket: Math.floor(group[0]!.timestamp / 1000) })
    })
  }
  return dbName
}

/** Runs `fn` in a readwrite transaction on the segments store of `dbName` (its own connection)
 *  and resolves with what it resolved with, after the commit. */
function rawTx<T>(dbName: string, fn: (tx: IDBTransaction) => Promise<T> | T): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(dbName)
    req.addEventListener('error', () => reject(req.error))
    req.addEventListener('success', () => {
      const db = req.result
      const tx = db.transaction(['segments'], 'readwrite')
      let out: T
      Promise.resolve(fn(tx)).then((v) => (out = v), reject)
      tx.addEventListener('complete', () => (db.close(), resolve(out)))
      tx.addEventListener('abort', () => (db.close(), reject(tx.error)))
    })
  })
}

/** Runs one eviction in its own transaction, counting (on the IndexedDB prototypes, while nothing
 *  else uses the database) the index keys the cursor stepped onto and the segments read. */
const evict = (dbName: string, excess: number, from: Floor = [-Infinity, -Infinity]) =>
  rawTx(dbName, async (tx) => {
    // Each cursor request (the open, each continue) steps onto one key; spies call through.
    const spies = [vi.spyOn(IDBIndex.prototype, 'openKeyCursor'), vi.spyOn(IDBCursor.prototype, 'continue'), vi.spyOn(IDBObjectStore.prototype, 'get')]
    try {
      const result = await evictOldest(tx.objectStore('segments'), excess, from)
      const [opens, steps, gets] = spies.map((spy) => spy.mock.calls.length) as [number, number, number]
      return { ...result, trace: { keys: opens + steps, reads: gets } }
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })

describe('eviction reads what it evicts or cuts, not what is stored', () => {
  test('one event at a time from 10 interleaved types (dense, 10 windows): one segment read and at most 2 keys per eviction', async () => {
    // 10 types, one event per ms for 100 s: segments of one type and second (100 events), the
    // 10 segments of a second overlapping in time, 100 per window.
    const events = Array.from({ length: 100_000 }, (_, i) => envelope(`d.t${i % 10}`, 1_000_000 + i, { i }))
    const dbName = await store('evict-dense', events)
    let floor: Floor | undefined
    for (let k = 0; k < 30; k++) {
      const r = await evict(dbName, 1, floor)
      expect(r.evicted).toBe(1)
      // The oldest segment by t0 holds the oldest event; the next key's t0 proves it.
      expect(r.trace).toEqual({ keys: 2, reads: 1 })
      floor = r.floor
    }
    const left = await readRaw(dbName)
    expect(left.length).toBe(events.length - 30)
    expect(ids(left)).toEqual(ids(events.slice(30)))
    // A batch's worth: 500 events cut the 10 segments of the first second (read), nothing else.
    const r = await evict(dbName, 500, floor)
    expect(r.evicted).toBe(500)
    expect(r.trace.reads).toBe(10)
    expect(r.trace.keys).toBeLessThanOrEqual(11)
    expect(ids(await readRaw(dbName))).toEqual(ids(events.slice(530)))
  })

  test('a span with a sparse type (one wide segment) and 10 dense types: one event at a time reads at most 2 segments and steps onto at most 4 keys', async () => {
    // 10 dense types, one event per ms for 60 s (600 segments of 100 events in the span), and one
    // sparse type once per second (60 events: one wide segment whose key comes first in the
    // span). Their events interleave over the whole span: the walk merges the wide key with the
    // narrow ones by t0 instead of collecting the span's 600 keys.
    const span = 40_000 * WIDE * 1000
    const dense = Array.from({ length: 60_000 }, (_, i) => envelope(`d.t${i % 10}`, span + i, { i }))
    const sparse = Array.from({ length: 60 }, (_, i) => envelope('s.one', span + i * 1000 + 500, { i }))
    const dbName = await store('evict-mixed', [...dense, ...sparse])
    const all = sorted([...dense, ...sparse])
    let floor: Floor | undefined
    for (let k = 0; k < 30; k++) {
      const r = await evict(dbName, k === 0 ? 600 : 1, floor)
      expect(r.evicted).toBe(k === 0 ? 600 : 1)
      // The first 600 ms: the 10 dense segments of the first second and the wide one are read.
      expect(r.trace.reads).toBeLessThanOrEqual(k === 0 ? 11 : 2)
      expect(r.trace.keys).toBeLessThanOrEqual(k === 0 ? 13 : 4)
      floor = r.floor
    }
    expect(ids(await readRaw(dbName))).toEqual(ids(all.slice(629)))
  })

  test('one type in sequence: whole windows are deleted unread, in the cut window only the segments up to the cut are read', async () => {
    const events = Array.from({ length: 20_000 }, (_, i) => envelope('s.one', 5_000_000 + i, { i }))
    const dbName = await store('evict-seq', events)
    // Segments of 500 events (cut at 500 and at each second), 20 per 10 s window: 1,250 evicted =
    // two segments deleted and the third cut, 3 read, 4 keys (the 4th starts after the cut).
    const r = await evict(dbName, 1250)
    expect(r.evicted).toBe(1250)
    expect(r.trace).toEqual({ keys: 4, reads: 3 })
    expect(ids(await readRaw(dbName))).toEqual(ids(events.slice(1250)))
    // The rest of that window (8,750 events, 18 segments) goes whole, unread; 1,350 of the next
    // window: 3 segments read.
    const r2 = await evict(dbName, 10_100, r.floor)
    expect(r2.evicted).toBe(10_100)
    expect(r2.trace.reads).toBe(3)
    expect(ids(await readRaw(dbName))).toEqual(ids(events.slice(11_350)))
  })

  test('exact for any store, 1 s layout segments and equal timestamps included, with the floor carried over (fast-check)', async () => {
    const W = WINDOW * 1000
    const base = 40_000_000
    await fc.assert(
      fc.asyncProperty(
        // [type, time offset, old 1 s layout?]: times cluster in few windows so they share some.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 * W }), fc.boolean()), { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 5 }),
        async (spec, cuts) => {
          const all = spec.map(([type, dt], i) => envelope(`p.t${type}`, base + Math.floor(dt / 7) * 7, { i }))
          const old = all.filter((_, i) => spec[i]![2])
          const dbName = await store('evict-prop', all.filter((_, i) => !spec[i]![2]), old)
          let floor: Floor | undefined
          let gone = 0
          for (const c of cuts) {
            const r = await evict(dbName, c, floor)
            expect(r.evicted).toBe(Math.min(c, all.length - gone))
            gone += r.evicted
            floor = r.floor
            expect(ids(await readRaw(dbName))).toEqual(ids(sorted(all).slice(gone)))
          }
        },
      ),
      { numRuns: 25 },
    )
  })
})
