// Scale mechanisms against real IndexedDB in headless Chromium: the maintained count (writes,
// eviction, TTL, clear, import, reopen, an aborted transaction, segments written by code that does
// not keep it, the migration of the layout before it), counts from index keys, sliced reads
// (abort, progress, results equal to an unsliced read), and compaction at write time (ids, order
// and dedupe preserved). No timing assertions: slices are checked by what they return.
import { AbortedError, createBus, type TidingsEvent } from '@tidings/core'
import * as fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { openHistory, type History } from './index.js'
import { MERGE_MAX } from './put.js'
import { compareEvents, makeSegment } from './segment.js'
import { envelope, historyHarness, readRaw, readSegments } from './test-helpers.js'

const { open, opened } = historyHarness()
const ids = (xs: readonly TidingsEvent[]) => xs.map((e) => e.id)
const sorted = (xs: readonly TidingsEvent[]) => [...xs].sort(compareEvents)

/** The maintained count as stored, through a raw connection. */
function readMeta(dbName: string): Promise<{ n: number; k: number; b?: number } | undefined> {
  return rawTx(dbName, ['meta'], 'readonly', (tx) => tx.objectStore('meta').get('count'))
}

/** Runs `fn` in a raw transaction (another connection, as another tab would) and resolves with
 *  its request's result after the commit. */
function rawTx<T>(dbName: string, stores: string[], mode: IDBTransactionMode, fn: (tx: IDBTransaction) => IDBRequest | void): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(dbName)
    req.addEventListener('error', () => reject(req.error))
    req.addEventListener('success', () => {
      const db = req.result
      const tx = db.transaction(stores, mode)
      const r = fn(tx)
      tx.addEventListener('complete', () => (db.close(), resolve(r?.result as T)))
      tx.addEventListener('abort', () => (db.close(), reject(tx.error)))
    })
  })
}

/** The count must equal what is stored, by every measure. */
async function expectConsistent(h: History, dbName: string, live?: number): Promise<void> {
  const raw = await readRaw(dbName)
  expect((await readMeta(dbName))?.n).toBe(raw.length)
  expect(await h.count()).toBe(live ?? raw.length)
  expect((await h.query()).length).toBe(live ?? raw.length)
}

describe('the maintained count', () => {
  test('follows writes, imports with duplicates, maxEvents eviction, clear(q), clear() and a reopen', async () => {
    const { h, dbName } = open('count', { maxEvents: 700 })
    const bus = createBus()
    h.attach(bus)
    for (let i = 0; i < 300; i++) await bus.publishAsync('c.live', { i }, { persistent: true })
    await expectConsistent(h, dbName)
    expect(await h.count()).toBe(300)
    // An import overlapping itself and what is stored: each id once.
    const base = Date.now() - 60_000
    const batch = Array.from({ length: 600 }, (_, i) => envelope(`c.imp${i % 3}`, base + i * 10, { i }))
    const report = await h.import([...batch, ...batch.slice(0, 50)])
    expect(report.imported).toBe(650)
    // 900 stored, capped at 700: the 200 oldest (imported, older than the live ones) went.
    expect(await h.count()).toBe(700)
    expect(h.stats().evicted).toBe(200)
    await expectConsistent(h, dbName)
    expect(ids(await h.query({ type: 'c.imp*' }))).toEqual(ids(batch.slice(200)))
    expect(await h.clear({ type: 'c.imp1' })).toBe(133)
    await expectConsistent(h, dbName)
    expect(await h.count()).toBe(567)
    // Reopen: the stored count is consistent, nothing is rebuilt, the figures hold.
    await h.close()
    const again = openHistory({ dbName, maxEvents: 700 })
    opened.push({ h: again, dbName })
    expect(await again.count()).toBe(567)
    expect(await again.count({ type: 'c.live' })).toBe(300)
    expect(await again.clear()).toBe(567)
    await expectConsistent(again, dbName)
    expect(await again.count()).toBe(0)
  })

  test('eviction seeks from the stored floor, and events older than the floor are still evicted first', async () => {
    const { h, dbName } = open('floor', { maxEvents: 100 })
    const recent = Array.from({ length: 150 }, (_, i) => envelope('f.new', 500_000 + i * 200, { i }))
    await h.import(recent)
    expect(ids(await h.query())).toEqual(ids(recent.slice(50)))
    const floor = (await readMeta(dbName))?.b
    const low = Math.min(...(await readSegments(dbName)).map((s) => s.bucket))
    expect(floor).toBeLessThanOrEqual(low)
    // Older than anything stored: they are the oldest, so they go at once.
    await h.import(Array.from({ length: 20 }, (_, i) => envelope('f.old', 1000 + i, { i })))
    expect(ids(await h.query())).toEqual(ids(recent.slice(50)))
    expect(h.stats().evicted).toBe(70)
    // With room for them, older events below the floor are kept, and evicted first later.
    await h.clear({ type: 'f.new', to: 500_000 + 99 * 200 })
    const old = Array.from({ length: 10 }, (_, i) => envelope('f.old', 2000 + i, { i }))
    await h.import(old)
    expect(await h.count()).toBe(60)
    const more = Array.from({ length: 45 }, (_, i) => envelope('f.more', 900_000 + i, { i }))
    await h.import(more)
    expect(ids(await h.query())).toEqual(ids([...old.slice(5), ...recent.slice(100), ...more]))
    await expectConsistent(h, dbName)
  })

  test('maxEvents keeps exactly the newest events, whatever the segments (fast-check: overlapping and sequential streams, windows, caps)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ type: fc.constantFrom('e.a', 'e.b'), start: fc.integer({ min: 0, max: 40_000 }), step: fc.constantFrom(1, 7, 300), n: fc.integer({ min: 1, max: 150 }) }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 1, max: 400 }),
        async (batches, max) => {
          const { h, dbName } = open('evict-prop', { maxEvents: max })
          const all: TidingsEvent[] = []
          for (const b of batches) {
            const batch = Array.from({ length: b.n }, (_, i) => envelope(b.type, 1_000_000 + b.start + i * b.step, { i }))
            all.push(...batch)
            await h.import(batch)
          }
          // Each import evicts down to max: the survivors are the newest `max` of what was
          // stored, import by import.
          let kept: TidingsEvent[] = []
          let offset = 0
          for (const b of batches) {
            kept = sorted([...kept, ...all.slice(offset, offset + b.n)]).slice(-max)
            offset += b.n
          }
          expect(ids(await h.query())).toEqual(ids(kept))
          expect(await h.count()).toBe(kept.length)
          expect((await readMeta(dbName))?.n).toBe(kept.length)
          await h.close()
        },
      ),
      { numRuns: 30 },
    )
  })

  test('TTL: expired events leave count() at once and the stored count when swept', async () => {
    const { h, dbName } = open('ttl')
    const now = Date.now()
    const report = await h.import([
      ...Array.from({ length: 40 }, (_, i) => envelope('t.keep', now - 5000 + i, { i })),
      ...Array.from({ length: 30 }, (_, i) => envelope('t.gone', now - 5000 + i, { i }, { ttlMs: 5300 + i * 10 })),
    ])
    // Expiry 300 to 619 ms from the start; on a slow machine some may expire before the import.
    const stored = 30 - report.expired
    expect((await readMeta(dbName))?.n).toBe(40 + stored)
    while (Date.now() <= now + 650) await new Promise((r) => setTimeout(r, 50))
    expect(await h.count()).toBe(40)
    expect(await h.count({ type: 't.gone' })).toBe(0)
    expect(await h.count({ from: now - 5000, to: now })).toBe(40)
    expect((await readMeta(dbName))?.n).toBe(40 + stored)
    expect(await h.sweep()).toBe(stored)
    await expectConsistent(h, dbName, 40)
  })

  test('an aborted write transaction (the count put throws) leaves events and count as they were', async () => {
    const { h, dbName } = open('abort')
    const bus = createBus()
    h.attach(bus)
    for (let i = 0; i < 10; i++) bus.publish('a.ok', { i }, { persistent: true })
    await h.flush()
    const realPut = IDBObjectStore.prototype.put
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (this.name === 'meta') throw new DOMException('simulated failure', 'UnknownError')
      return realPut.call(this, value, key)
    }
    try {
      const err = await bus.publishAsync('a.lost', { x: 1 }, { persistent: true }).then(
        () => undefined,
        (e: unknown) => e as Error,
      )
      expect(err?.name).toBe('HistoryWriteError')
    } finally {
      IDBObjectStore.prototype.put = realPut
    }
    await expectConsistent(h, dbName)
    expect(await h.count()).toBe(10)
    expect(await h.count({ type: 'a.lost' })).toBe(0)
    await bus.publishAsync('a.after', 1, { persistent: true })
    expect(await h.count()).toBe(11)
    await expectConsistent(h, dbName)
  })

  test('a transaction abandoned mid-way (a crash before commit) leaves the count consistent', async () => {
    const { h, dbName } = open('crash')
    await h.import(Array.from({ length: 20 }, (_, i) => envelope('k.a', 1000 + i)))
    await h.close()
    // What a tab that dies inside a write leaves: puts and count changes that never commit.
    await rawTx(dbName, ['segments', 'meta'], 'readwrite', (tx) => {
      tx.objectStore('segments').put(makeSegment([envelope('k.b', 5000)]))
      tx.objectStore('meta').put({ n: 999, k: 999 }, 'count')
      tx.abort()
    }).catch(() => {})
    const again = openHistory({ dbName })
    opened.push({ h: again, dbName })
    expect(await again.count()).toBe(20)
    await expectConsistent(again, dbName)
  })

  test('segments written by code that does not keep the count (an older version) are counted again on open', async () => {
    const { h, dbName } = open('heal')
    await h.import(Array.from({ length: 20 }, (_, i) => envelope('o.a', 1000 + i)))
    await h.close()
    await rawTx(dbName, ['segments'], 'readwrite', (tx) => void tx.objectStore('segments').put(makeSegment(Array.from({ length: 7 }, (_, i) => envelope('o.b', 9000 + i)))))
    const again = openHistory({ dbName })
    opened.push({ h: again, dbName })
    expect(await again.count()).toBe(27)
    await expectConsistent(again, dbName)
    // And a count record that went missing.
    await again.close()
    await rawTx(dbName, ['meta'], 'readwrite', (tx) => void tx.objectStore('meta').clear())
    const third = openHistory({ dbName })
    opened.push({ h: third, dbName })
    expect(await third.count()).toBe(27)
  })

  test('a database in the segment layout before the count and key indexes is upgraded on open', async () => {
    const dbName = `test-upgrade-${Date.now()}-${Math.random().toString(36).slice(2)}`
    const events = Array.from({ length: 1200 }, (_, i) => envelope(`u.t${i % 3}`, 50_000 + i * 5, { i }))
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(dbName, 1)
      req.addEventListener('upgradeneeded', () => {
        const db = req.result
        const store = db.createObjectStore('segments', { keyPath: 'k', autoIncrement: true })
        store.createIndex('type_bucket', ['type', 'bucket'])
        store.createIndex('bucket', 'bucket')
        store.createIndex('corr', 'corr', { multiEntry: true })
        store.createIndex('exp', 'exp')
        store.createIndex('ids', 'ids', { multiEntry: true, unique: true })
        const types = db.createObjectStore('types')
        const byKey = new Map<string, TidingsEvent[]>()
        for (const e of events) {
          const key = `${e.type}/${Math.floor(e.timestamp / 1000)}`
          byKey.set(key, [...(byKey.get(key) ?? []), e])
          types.put(1, e.type)
        }
        for (const group of byKey.values()) store.put(makeSegment(group))
      })
      req.addEventListener('success', () => (req.result.close(), resolve()))
      req.addEventListener('error', () => reject(req.error))
    })
    const h = openHistory({ dbName, maxEvents: 1000 })
    opened.push({ h, dbName })
    expect(await h.count()).toBe(1200)
    expect(await h.count({ type: 'u.t1' })).toBe(400)
    expect(await h.count({ type: 'u.t1', from: 51_000, to: 53_499 })).toBe(events.filter((e) => e.type === 'u.t1' && e.timestamp >= 51_000 && e.timestamp <= 53_499).length)
    await h.import([envelope('u.t0', 60_000)])
    expect(await h.count()).toBe(1000)
    const kept = await h.query()
    expect(ids(kept.slice(0, 999))).toEqual(ids(events.slice(201)))
    await expectConsistent(h, dbName)
  })
})

describe('counts from index keys equal a read', () => {
  test('type, glob, time window, correlationId, where, limit (fast-check over stores and queries)', async () => {
    const { h } = open('countkeys')
    const base = 100_000
    // Several buckets, several segments per bucket (imports of different sizes), three types.
    const events: TidingsEvent[] = []
    for (let k = 0; k < 6; k++) {
      const batch = Array.from({ length: 40 + k * 30 }, (_, i) =>
        envelope(`q.t${(i + k) % 3}`, base + ((i * 137 + k * 71) % 6000), { i, k }, i % 9 === 0 ? { correlationId: `c${k % 2}` } : {}),
      )
      events.push(...batch)
      await h.import(batch)
    }
    const time = fc.oneof(fc.constant(undefined), fc.integer({ min: base - 500, max: base + 6500 }))
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          type: fc.constantFrom(undefined, 'q.t0', 'q.t2', 'q.*', 'q.t[01]'),
          from: time,
          to: time,
          correlationId: fc.constantFrom(undefined, undefined, 'c1'),
          where: fc.constantFrom(undefined, undefined, { 'data.i': ['<', 20] as const }),
          limit: fc.constantFrom(undefined, undefined, 5),
        }),
        async (raw) => {
          const q = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined))
          if (q.from !== undefined && q.to !== undefined && q.from > q.to) return
          const got = await h.query(q)
          expect(await h.count(q)).toBe(got.length)
        },
      ),
      { numRuns: 60 },
    )
    expect(await h.count()).toBe(events.length)
  })
})

describe('sliced reads', () => {
  test('a where-only scan: same results as without options, progress monotone and complete, abort rejects with AbortedError', async () => {
    const { h } = open('slices')
    const events = Array.from({ length: 6000 }, (_, i) => envelope(`s.t${i % 5}`, 200_000 + i * 3, { i, even: i % 2 === 0 }))
    await h.import(events)
    const q = { where: { 'data.even': true } }
    const progress: Array<{ scanned: number; matched: number }> = []
    const got = await h.query(q, { onProgress: (p) => progress.push(p) })
    expect(ids(got)).toEqual(ids(events.filter((_, i) => i % 2 === 0)))
    expect(ids(await h.query(q))).toEqual(ids(got))
    // Pages of a few thousand events: more than one report, totals never go down, and the last
    // one has seen everything.
    expect(progress.length).toBeGreaterThan(1)
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.scanned).toBeGreaterThanOrEqual(progress[i - 1]!.scanned)
      expect(progress[i]!.matched).toBeGreaterThanOrEqual(progress[i - 1]!.matched)
    }
    expect(progress.at(-1)).toEqual({ scanned: 6000, matched: 3000 })
    expect(await h.count(q)).toBe(3000)

    const early = new AbortController()
    early.abort()
    await expect(h.query(q, { signal: early.signal })).rejects.toBeInstanceOf(AbortedError)
    const mid = new AbortController()
    let reports = 0
    const err = await h
      .count(q, {
        signal: mid.signal,
        onProgress: () => {
          if (++reports === 1) mid.abort()
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).toBeInstanceOf(AbortedError)
    expect(reports).toBe(1)
  })

  test('results equal a full read for any window, order, type and limit (fast-check)', async () => {
    const { h } = open('slices-prop')
    const events = Array.from({ length: 3000 }, (_, i) => envelope(`p.t${i % 4}`, 300_000 + ((i * 7919) % 9000), { i }))
    await h.import(events)
    const all = sorted(events)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 299_000, max: 310_000 }),
        fc.integer({ min: 0, max: 9000 }),
        fc.constantFrom('asc' as const, 'desc' as const),
        fc.constantFrom(undefined, 'p.t1', 'p.*'),
        fc.constantFrom(undefined, 1, 700),
        async (from, span, order, type, limit) => {
          const to = from + span
          let want = all.filter((e) => e.timestamp >= from && e.timestamp <= to && (type !== 'p.t1' || e.type === 'p.t1'))
          if (order === 'desc') want = want.toReversed()
          if (limit !== undefined) want = want.slice(0, limit)
          let last = 0
          const got = await h.query({ from, to, order, ...(type ? { type } : {}), ...(limit ? { limit } : {}), where: { 'data.i': ['>=', 0] } }, { onProgress: (p) => (last = p.matched) })
          expect(ids(got)).toEqual(ids(want))
          if (type !== 'p.*') expect(last).toBe(want.length)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('compaction at write time', () => {
  test('events arriving one per transaction share segments; ids, order and count preserved', async () => {
    const { h, dbName } = open('compact')
    const bus = createBus()
    h.attach(bus)
    const published: TidingsEvent[] = []
    bus.on('m.**').subscribe((e) => published.push(e))
    for (let i = 0; i < 120; i++) await bus.publishAsync(`m.t${i % 2}`, { i }, { persistent: true })
    const segs = await readSegments(dbName)
    // One transaction per event, yet far fewer segments than events.
    expect(h.stats().transactions).toBe(120)
    expect(segs.length).toBeLessThan(30)
    for (const s of segs) expect([s.n, s.ids]).toEqual([s.events.length, ids(s.events)])
    expect(ids(await h.query())).toEqual(ids(sorted(published)))
    expect(ids(await h.query({ type: 'm.t1', order: 'desc' }))).toEqual(ids(sorted(published.filter((e) => e.type === 'm.t1')).toReversed()))
    await expectConsistent(h, dbName)
  })

  test('small imports with overlapping ids merge into one segment up to MERGE_MAX, each id once, in order (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: 0, max: 399 }), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 12 }), async (batches) => {
        const { h, dbName } = open('compact-prop')
        // 400 candidate events in one bucket of one type; each batch imports some of them.
        const pool = Array.from({ length: 400 }, (_, i) => envelope('b.one', 7_000_000 + ((i * 37) % 997), { i }))
        for (const b of batches) await h.import(b.map((i) => pool[i]!))
        const want = sorted([...new Set(batches.flat())].map((i) => pool[i]!))
        expect(ids(await h.query())).toEqual(ids(want))
        expect(await h.count()).toBe(want.length)
        const segs = await readSegments(dbName)
        for (const s of segs) {
          expect([s.n, s.ids]).toEqual([s.events.length, ids(s.events)])
          expect(ids(s.events)).toEqual(ids(sorted(s.events)))
        }
        expect(segs.reduce((n, s) => n + s.n, 0)).toBe(want.length)
        if (want.length <= MERGE_MAX / 2) expect(segs.length).toBe(1)
        await h.close()
      }),
      { numRuns: 25 },
    )
  })
})
