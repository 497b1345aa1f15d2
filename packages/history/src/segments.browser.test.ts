// The segment layout against real IndexedDB in headless Chromium: stored once by id across
// histories sharing a database (both orders, concurrently), order across interleaved segments
// and page boundaries, exact eviction across segment boundaries, per-event TTL inside a segment,
// partial failures inside a segment, and the migration of the one-record-per-event layout.
import { createBus, type TidingsEvent } from '@tidings/core'
import { afterEach, describe, expect, test } from 'vitest'
import { HistoryDataError, openHistory, type History } from './index.js'
import { MERGE_BELOW } from './put.js'
import { SEG_PAGE_MIN } from './reader.js'
import { compareEvents, SEGMENT_MAX } from './segment.js'
import { createLegacyEventsStore, deleteDb, envelope, readRaw, readSegments, uniqueDb } from './test-helpers.js'
import { bridgeHost } from '@tidings/core/bridge'

const ids = (xs: readonly TidingsEvent[]) => xs.map((e) => e.id)
const sorted = (xs: readonly TidingsEvent[]) => [...xs].sort(compareEvents)
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c()
})
function open(dbName: string, opts: Parameters<typeof openHistory>[0] = {}): History {
  const h = openHistory({ dbName, ...opts })
  cleanups.push(async () => {
    await h.close()
    await deleteDb(dbName)
  })
  return h
}

describe('stored once by id across histories sharing a database', () => {
  // 300 events of two types in two buckets; a and b overlap in 100 ids.
  const all = Array.from({ length: 300 }, (_, i) => envelope(i % 2 ? 'd.odd' : 'd.even', 10_000 + i * 5, { i }))
  const a = all.slice(0, 200)
  const b = all.slice(100)

  for (const order of ['a then b', 'b then a', 'concurrently'] as const) {
    test(`two histories import overlapping ids ${order}: every event stored once, count exact`, async () => {
      const dbName = uniqueDb('dedup')
      const h1 = open(dbName)
      const h2 = openHistory({ dbName })
      cleanups.push(() => h2.close())
      if (order === 'a then b') {
        await h1.import(a)
        await h2.import(b)
      } else if (order === 'b then a') {
        await h2.import(b)
        await h1.import(a)
      } else {
        await Promise.all([h1.import(a), h2.import(b)])
      }
      const raw = await readRaw(dbName)
      expect(ids(raw)).toEqual(ids(all))
      expect(await h1.count()).toBe(300)
      expect(await h2.count()).toBe(300)
      expect(ids(await h2.query({ type: 'd.odd' }))).toEqual(ids(all.filter((e) => e.type === 'd.odd')))
      expect(ids(await h1.query({ order: 'desc', limit: 150 }))).toEqual(ids(all.toReversed().slice(0, 150)))
      // Every segment's ids match its events (a rewritten colliding segment kept only new ones).
      for (const s of await readSegments(dbName)) expect([s.n, s.ids]).toEqual([s.events.length, ids(s.events)])
    })
  }

  test('two tabs (two buses bridged, one history each) record the same events: stored once, every publishAsync resolves', async () => {
    const dbName = uniqueDb('dedup-bus')
    const h1 = open(dbName)
    const h2 = openHistory({ dbName })
    cleanups.push(() => h2.close())
    const busA = createBus()
    const busB = createBus()
    h1.attach(busA)
    h2.attach(busB)
    busA.on('t.**').subscribe((e) => bridgeHost(busB, 'test').ingest(e, 'test-bridge'))
    busB.on('t.**').subscribe((e) => {
      if (busB.bridgedBy(e) === undefined) bridgeHost(busA, 'test').ingest(e, 'test-bridge')
    })
    const acks: Array<Promise<unknown>> = []
    for (let i = 0; i < 50; i++) {
      acks.push(busA.publishAsync('t.a', i, { persistent: true }))
      acks.push(busB.publishAsync('t.b', i, { persistent: true }))
    }
    await Promise.all(acks)
    await Promise.all([h1.flush(), h2.flush()])
    const raw = await readRaw(dbName)
    expect(raw).toHaveLength(100)
    expect(new Set(ids(raw)).size).toBe(100)
    expect(raw.filter((e) => e.type === 't.a').map((e) => e.data)).toEqual([...Array(50).keys()])
    expect(raw.filter((e) => e.type === 't.b').map((e) => e.data)).toEqual([...Array(50).keys()])
    expect(await h1.count()).toBe(100)
    expect(h1.stats().failed + h2.stats().failed).toBe(0)
  })

  test('importing what is stored already stores nothing twice', async () => {
    const dbName = uniqueDb('reimport')
    const h = open(dbName)
    await h.import(all)
    await h.import([...all.slice(0, 10), ...all.slice(0, 10)])
    expect(await h.count()).toBe(300)
    expect(ids(await readRaw(dbName))).toEqual(ids(all))
  })
})

describe('order across segments', () => {
  test('segments of one bucket interleave in time; queries merge them, asc, desc, limits and globs', async () => {
    const dbName = uniqueDb('interleave')
    const h = open(dbName)
    // 3 windows x (2 * SEG_PAGE_MIN + 3) imports, each import one segment per window of one type,
    // timestamps interleaved across imports: pages end inside buckets.
    const imports = 2 * SEG_PAGE_MIN + 3
    const events: TidingsEvent[] = []
    for (let k = 0; k < imports; k++) {
      const batch: TidingsEvent[] = []
      // MERGE_BELOW events per segment: big enough not to be merged at write time (compaction).
      for (let bucket = 0; bucket < 3; bucket++) for (let j = 0; j < MERGE_BELOW; j++) batch.push(envelope('o.e', 50_000 + bucket * 10_000 + j * 15 + k, { k, bucket, j }))
      events.push(...batch)
      await h.import(batch.toReversed())
    }
    const segs = await readSegments(dbName)
    expect(segs).toHaveLength(3 * imports)
    expect(segs.every((s) => s.n === MERGE_BELOW && s.type === 'o.e')).toBe(true)
    const want = sorted(events)
    expect(ids(await h.query({ type: 'o.e' }))).toEqual(ids(want))
    expect(ids(await h.query({ type: 'o.*', order: 'desc' }))).toEqual(ids(want.toReversed()))
    expect(ids(await h.query({ order: 'desc', limit: 30 }))).toEqual(ids(want.toReversed().slice(0, 30)))
    expect(ids(await h.query({ from: 60_010, to: 70_020 }))).toEqual(ids(want.filter((e) => e.timestamp >= 60_010 && e.timestamp <= 70_020)))
    expect(ids(await h.query({ type: 'o.e', from: 50_001, limit: 25 }))).toEqual(ids(want.filter((e) => e.timestamp >= 50_001).slice(0, 25)))
    expect(await h.count({ type: 'o.e', to: 59_999 })).toBe(MERGE_BELOW * imports)
  })

  test('a bucket larger than SEGMENT_MAX is cut into several segments, read back in order', async () => {
    const dbName = uniqueDb('big-bucket')
    const h = open(dbName)
    const n = SEGMENT_MAX * 2 + 17
    const events = Array.from({ length: n }, (_, i) => envelope('b.e', 20_000 + (i % 900), { i }, i % 3 === 0 ? { correlationId: 'three' } : {}))
    await h.import(events)
    const segs = await readSegments(dbName)
    expect(segs.map((s) => s.n)).toEqual([SEGMENT_MAX, SEGMENT_MAX, 17])
    const want = sorted(events)
    expect(ids(await h.query({ type: 'b.e' }))).toEqual(ids(want))
    expect(ids(await h.query({ correlationId: 'three', order: 'desc' }))).toEqual(ids(want.filter((e) => e.correlationId === 'three').toReversed()))
    expect(await h.count()).toBe(n)
  })
})

describe('maxEvents across segment boundaries', () => {
  test('the oldest events are evicted exactly, whole segments deleted and the boundary segments rewritten', async () => {
    const dbName = uniqueDb('evict')
    const h = open(dbName, { maxEvents: 250 })
    // Two imports whose timestamps interleave over two buckets (0-999, 1000-1999).
    const a = Array.from({ length: 200 }, (_, i) => envelope('e.a', 500 + i * 5, { i }))
    const b = Array.from({ length: 200 }, (_, i) => envelope('e.b', 502 + i * 5, { i }))
    await h.import(a)
    expect(await h.count()).toBe(200)
    await h.import(b)
    const want = sorted([...a, ...b]).slice(150)
    expect(ids(await h.query())).toEqual(ids(want))
    expect(await h.count()).toBe(250)
    expect(h.stats().evicted).toBe(150)
    const segs = await readSegments(dbName)
    expect(segs.reduce((n, s) => n + s.n, 0)).toBe(250)
    for (const s of segs) {
      expect([s.n, s.ids, s.t0, s.t1]).toEqual([s.events.length, ids(s.events), s.events[0]!.timestamp, s.events.at(-1)!.timestamp])
    }
    // Evicting past several SEGMENT_MAX segments of one bucket.
    const c = Array.from({ length: SEGMENT_MAX * 2 + 40 }, (_, i) => envelope('e.c', 3000 + (i % 700), { i }))
    await h.import(c)
    expect(ids(await h.query())).toEqual(ids(sorted([...want, ...c]).slice(-250)))
    expect(h.stats().evicted).toBe(150 + 250 + c.length - 250)
  })
})

describe('TTL inside a segment', () => {
  test('expired events of a segment are hidden at once; the sweep rewrites the segment, or deletes it when nothing is left', async () => {
    const dbName = uniqueDb('ttl-seg')
    const h = open(dbName, { sweepIntervalMs: 3_600_000 })
    const now = Date.now()
    const t = now - (now % 1000) // all in one bucket; "short" ones expire ~300 ms from now
    const short = now + 300 - t
    const events = [
      envelope('x.mixed', t, 'short-1', { ttlMs: short }),
      envelope('x.mixed', t + 1, 'forever'),
      envelope('x.mixed', t + 2, 'long', { ttlMs: 3_600_000 }),
      envelope('x.mixed', t + 3, 'short-2', { ttlMs: short + 47 }),
      envelope('x.gone', t, 'gone-1', { ttlMs: short }),
      envelope('x.gone', t + 5, 'gone-2', { ttlMs: short }),
    ]
    await h.import(events)
    const before = await readSegments(dbName)
    expect(before.map((s) => [s.type, s.n, s.exp])).toEqual([
      ['x.mixed', 4, now + 300],
      ['x.gone', 2, now + 300],
    ])
    await new Promise((r) => setTimeout(r, Math.max(0, now + 400 - Date.now())))
    expect((await h.query()).map((e) => e.data)).toEqual(['forever', 'long'])
    expect(await h.count()).toBe(2)
    expect(await h.count({ type: 'x.*' })).toBe(2)
    expect(await h.sweep()).toBe(4)
    expect(h.stats().expired).toBe(4)
    const after = await readSegments(dbName)
    expect(after.map((s) => [s.k, s.type, s.n, s.exp, s.events.map((e) => e.data)])).toEqual([[before[0]!.k, 'x.mixed', 2, t + 2 + 3_600_000, ['forever', 'long']]])
    expect(await h.sweep()).toBe(0)
    expect((await h.query({ type: 'x.mixed' })).map((e) => e.data)).toEqual(['forever', 'long'])
  })
})

describe('partial failures and deletes inside a segment', () => {
  test('an unclonable event fails alone; the rest of its segment (same type, same bucket) is stored', async () => {
    const dbName = uniqueDb('clone-seg')
    const h = open(dbName)
    const bus = createBus()
    h.attach(bus)
    const errors: Error[] = []
    h.errors$.subscribe((e) => errors.push(e))
    // Sync publishes: one batch, one segment of type c.same in one bucket.
    bus.publish('c.same', 1, { persistent: true })
    bus.publish('c.same', { fn: () => 1 }, { persistent: true })
    bus.publish('c.same', 3, { persistent: true })
    const err = await h.flush().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HistoryDataError)
    expect((err as Error).message).toMatch(/c\.same.*could not be cloned/i)
    expect(errors.map((e) => e.name)).toEqual(['HistoryDataError'])
    expect((await h.query()).map((e) => e.data)).toEqual([1, 3])
    expect((await readSegments(dbName)).map((s) => s.n)).toEqual([2])
    expect(h.stats()).toMatchObject({ written: 2, failed: 1, transactions: 1 })
  })

  test('clear(q) removes matching events from inside segments and keeps the rest', async () => {
    const dbName = uniqueDb('clear-seg')
    const h = open(dbName)
    const events = Array.from({ length: 40 }, (_, i) => envelope('k.e', 1000 + i * 40, { i }))
    await h.import(events)
    expect(await h.clear({ where: { 'data.i': ['in', [0, 5, 24, 25, 39]] } })).toBe(5)
    expect((await h.query()).map((e) => (e.data as { i: number }).i)).toEqual([...Array(40).keys()].filter((i) => ![0, 5, 24, 25, 39].includes(i)))
    expect(await h.count()).toBe(35)
    expect((await readSegments(dbName)).reduce((n, s) => n + s.n, 0)).toBe(35)
  })
})

describe('migration from one record per event', () => {
  test('a database in the previous layout (events keyed by id) is migrated into segments on open; nothing is lost', async () => {
    const dbName = uniqueDb('migrate')
    const now = Date.now()
    // More than one migration page (5 000), several types, correlation ids, TTLs.
    const events = Array.from({ length: 6200 }, (_, i) => {
      const e: TidingsEvent & { expiresAt?: number } = envelope(`m.t${i % 4}`, now - 100_000 + i * 7, { i }, i % 50 === 0 ? { correlationId: `c${i % 100}` } : {})
      if (i % 10 === 0) e.expiresAt = now + 3_600_000
      return e
    })
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(dbName, 2)
      req.addEventListener('upgradeneeded', () => {
        const store = createLegacyEventsStore(req.result)
        const types = req.result.createObjectStore('types')
        for (const e of events) {
          store.put(e)
          types.put(1, e.type)
        }
      })
      req.addEventListener('success', () => (req.result.close(), resolve()))
      req.addEventListener('error', () => reject(req.error))
    })
    const h = open(dbName)
    await h.ready
    const db = await new Promise<IDBDatabase>((resolve) => {
      const req = indexedDB.open(dbName)
      req.addEventListener('success', () => resolve(req.result))
    })
    expect([...db.objectStoreNames].sort()).toEqual(['meta', 'segments', 'types'])
    expect(db.version).toBe(3)
    db.close()
    const raw = await readRaw(dbName)
    expect(raw).toHaveLength(6200)
    expect(ids(raw)).toEqual(ids(sorted(events)))
    expect(raw.find((e) => e.id === events[10]!.id)!.expiresAt).toBe(now + 3_600_000)
    expect(await h.count()).toBe(6200)
    expect(ids(await h.query({ type: 'm.t2' }))).toEqual(ids(events.filter((e) => e.type === 'm.t2')))
    expect(ids(await h.query({ type: 'm.*', order: 'desc', limit: 10 }))).toEqual(ids(events.toReversed().slice(0, 10)))
    expect(ids(await h.query({ correlationId: 'c50' }))).toEqual(ids(events.filter((e) => e.correlationId === 'c50')))
    // Ids stay unique after the migration: re-importing stores nothing twice.
    await h.import(events.slice(0, 100))
    expect(await h.count()).toBe(6200)
  })

  test('a legacy store re-created next to segments (a tab on the previous version) is merged in: events already stored are kept once', async () => {
    const dbName = uniqueDb('remigrate')
    const events = Array.from({ length: 150 }, (_, i) => envelope('r.e', 50_000 + i * 3, { i }))
    const h1 = openHistory({ dbName })
    await h1.import(events.slice(0, 100))
    await h1.close()
    const version = await new Promise<number>((resolve) => {
      const req = indexedDB.open(dbName)
      req.addEventListener('success', () => (req.result.close(), resolve(req.result.version)))
    })
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(dbName, version + 1)
      req.addEventListener('upgradeneeded', () => {
        const store = req.result.createObjectStore('events', { keyPath: 'id' })
        for (const e of events.slice(50)) store.put(e)
      })
      req.addEventListener('success', () => (req.result.close(), resolve()))
      req.addEventListener('error', () => reject(req.error))
    })
    const h = open(dbName)
    expect(ids(await h.query())).toEqual(ids(events))
    expect(await h.count()).toBe(150)
    expect(ids(await readRaw(dbName))).toEqual(ids(events))
  })
})
