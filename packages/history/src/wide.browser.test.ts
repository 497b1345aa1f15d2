// Wide segments (segment.ts): a sparse type's events of one aligned WIDE span in one record,
// against real IndexedDB in headless Chromium. Every read, count, eviction, sweep, clear and
// round trip is compared with a plain in-memory filter and sort of the same events, over stores
// that mix wide segments, dense 10 s windows, late narrow segments inside wide spans and (one
// test) a database written with 10 s segments only. No timing assertions.
import type { TidingsEvent } from '@tidings/core'
import * as fc from 'fast-check'
import { expect, test, vi } from 'vitest'
import { openHistory, type HistoryQuery } from './index.js'
import { buildSegments, compareEvents, isWide, startOf, WIDE, WIDE_MAX, type Segment } from './segment.js'
import { envelope, historyHarness, readRaw, readSegments } from './test-helpers.js'

const { open } = historyHarness()
const ids = (xs: readonly TidingsEvent[]) => xs.map((e) => e.id)
const sorted = (xs: readonly TidingsEvent[]) => [...xs].sort(compareEvents)
/** A second that starts a WIDE span (so offsets below say where in a span an event falls). */
const S0 = 28_333_340 * WIDE
const at = (sec: number, ms = 0) => (S0 + sec) * 1000 + ms

/** What a query must return: the in-memory filter and sort of `all`. */
function expected(all: readonly TidingsEvent[], q: HistoryQuery): TidingsEvent[] {
  const from = (q.from as number | undefined) ?? -Infinity
  const to = (q.to as number | undefined) ?? Infinity
  const type = q.type as string | undefined
  const match = (t: string) => type === undefined || (type.endsWith('*') ? t.startsWith(type.slice(0, -1)) : t === type)
  const out = sorted(all.filter((e) => match(e.type) && e.timestamp >= from && e.timestamp <= to && (q.correlationId === undefined || e.correlationId === q.correlationId)))
  if (q.order === 'desc') out.reverse()
  return out.slice(0, q.limit ?? Infinity)
}

/** Spans and windows of stored segments: [wide, narrow] counts, and each segment's events inside
 *  its span or window. */
async function layout(dbName: string): Promise<{ wide: Segment[]; narrow: Segment[] }> {
  const segs = await readSegments(dbName)
  for (const s of segs) {
    const start = startOf(s.bucket) * 1000
    const end = start + (isWide(s.bucket) ? WIDE : 10) * 1000
    expect(s.t0).toBeGreaterThanOrEqual(start)
    expect(s.t1).toBeLessThan(end)
    expect(s.n).toBe(s.events.length)
    expect(ids(s.events)).toEqual(ids(sorted(s.events)))
  }
  return { wide: segs.filter((s) => isWide(s.bucket)), narrow: segs.filter((s) => !isWide(s.bucket)) }
}

test('sparse types are stored in one wide segment per type and 60 s span; a dense type keeps 10 s windows', async () => {
  const { h, dbName } = open('wide-layout')
  // 3 sparse types once per second for 600 s (10 spans), and one dense type (200/s for 30 s).
  const sparse = Array.from({ length: 1800 }, (_, i) => envelope(`s.t${i % 3}`, at(Math.floor(i / 3), i % 3), { i }))
  const dense = Array.from({ length: 6000 }, (_, i) => envelope('d.x', at(100, i * 5), { i }))
  expect((await h.import([...sparse, ...dense])).imported).toBe(7800)
  const { wide, narrow } = await layout(dbName)
  expect(wide.length).toBe(30)
  expect(wide.every((s) => s.n === 60 && s.type.startsWith('s.'))).toBe(true)
  expect(narrow.every((s) => s.type === 'd.x')).toBe(true)
  expect(narrow.reduce((a, s) => a + s.n, 0)).toBe(6000)
  expect(ids(await h.query({ type: 's.t1', from: at(90, 500), to: at(250) }))).toEqual(ids(expected(sparse, { type: 's.t1', from: at(90, 500), to: at(250) })))
  expect(await h.count({ type: 's.t1', from: at(90, 500), to: at(250) })).toBe(159)
})

test('events arriving one at a time merge into one wide segment up to WIDE_MAX, the rest of the span goes narrow', async () => {
  const { h, dbName } = open('wide-live')
  const events = Array.from({ length: WIDE_MAX + 20 }, (_, i) => envelope('live', at(0, i * 500), { i }))
  for (const e of events) await h.import([e])
  const { wide, narrow } = await layout(dbName)
  expect(wide.map((s) => s.n)).toEqual([WIDE_MAX])
  expect(narrow.reduce((a, s) => a + s.n, 0)).toBe(20)
  for (const order of ['asc', 'desc'] as const) {
    const q: HistoryQuery = { type: 'live', from: at(10), to: at(40), order }
    expect(ids(await h.query(q))).toEqual(ids(expected(events, q)))
  }
  expect(await h.count({ type: 'live', from: at(10, 1), to: at(40) })).toBe(expected(events, { from: at(10, 1), to: at(40) }).length)
})

/** Random stores: batches of sparse events (spread over 400 s, a few types) or dense bursts
 *  (one type, many events in a few seconds), imported one batch at a time, so later batches land
 *  inside spans earlier ones stored wide, and small ones merge. */
const batchArb = fc.oneof(
  fc.array(fc.record({ type: fc.constantFrom('s.a', 's.b', 'x.c'), sec: fc.integer({ min: 0, max: 400 }), ms: fc.integer({ min: 0, max: 999 }), corr: fc.constantFrom(undefined, 'k1', 'k2') }), { minLength: 1, maxLength: 90 }),
  fc.record({ type: fc.constantFrom('s.a', 'd.d'), sec: fc.integer({ min: 0, max: 395 }), n: fc.integer({ min: 70, max: 300 }) }).map(({ type, sec, n }) =>
    Array.from({ length: n }, (_, i) => ({ type, sec: sec + Math.floor(i / 60), ms: (i * 17) % 1000, corr: undefined as string | undefined })),
  ),
)
const toEvents = (batches: Array<Array<{ type: string; sec: number; ms: number; corr: string | undefined }>>) =>
  batches.map((b) => b.map(({ type, sec, ms, corr }, i) => envelope(type, at(sec, ms), { i }, corr === undefined ? {} : { correlationId: corr })))
const queryArb = fc.record(
  {
    type: fc.constantFrom('s.a', 's.b', 'd.d', 's.*'),
    from: fc.integer({ min: -5, max: 405 }).chain((s) => fc.integer({ min: 0, max: 999 }).map((ms) => at(s, ms))),
    span: fc.integer({ min: 0, max: 300_000 }),
    order: fc.constantFrom('asc' as const, 'desc' as const),
    limit: fc.integer({ min: 1, max: 400 }),
    correlationId: fc.constantFrom('k1', 'k2'),
  },
  { requiredKeys: ['from', 'span', 'order'] },
)

test('queries and counts over wide, dense and late narrow segments return exactly the in-memory result, in order (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 5 }), fc.array(queryArb, { minLength: 6, maxLength: 6 }), async (raw, queries) => {
      const { h, dbName } = open('wide-prop')
      const batches = toEvents(raw)
      for (const b of batches) expect((await h.import(b)).imported).toBe(b.length)
      const all = batches.flat()
      await layout(dbName)
      expect(ids(await h.query())).toEqual(ids(sorted(all)))
      for (const { span, ...rest } of queries) {
        const q: HistoryQuery = { ...rest, to: (rest.from as number) + span }
        // A correlation chain scans the corr index; without a type, the bucket index.
        const { limit: _limit, ...unlimited } = q
        const variants = [q, unlimited, { from: q.from, to: q.to, order: q.order }, { correlationId: q.correlationId ?? 'k1', from: q.from, to: q.to, order: q.order }]
        for (const v of variants) {
          const clean = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as HistoryQuery
          expect(ids(await h.query(clean))).toEqual(ids(expected(all, clean)))
          expect(await h.count(clean)).toBe(expected(all, clean).length)
        }
      }
      await h.close()
    }),
    { numRuns: 40 },
  )
})

test('maxEvents keeps exactly the newest events when wide spans and late events are evicted (fast-check)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 400 }), async (raw, max) => {
      const { h, dbName } = open('wide-evict', { maxEvents: max })
      let kept: TidingsEvent[] = []
      for (const b of toEvents(raw)) {
        await h.import(b)
        kept = sorted([...kept, ...b]).slice(-max)
      }
      expect(ids(await readRaw(dbName))).toEqual(ids(kept))
      expect(ids(await h.query())).toEqual(ids(kept))
      expect(await h.count()).toBe(kept.length)
      await layout(dbName)
      await h.close()
    }),
    { numRuns: 25 },
  )
})

test('the TTL sweep rewrites wide segments (they stay wide) and deletes the emptied ones', async () => {
  const { h, dbName } = open('wide-ttl')
  const now = Date.now()
  const base = (Math.floor(now / 1000 / WIDE) - 20) * WIDE * 1000
  // Three types once per second for 300 s (5 spans each): s.gone expires 300 ms from now, s.t1
  // every other second, s.t0 never.
  const events = Array.from({ length: 900 }, (_, i) => {
    const t = base + Math.floor(i / 3) * 1000 + (i % 3)
    const expires = i % 3 === 2 || (i % 3 === 1 && Math.floor(i / 3) % 2 === 0)
    return envelope(i % 3 === 2 ? 's.gone' : `s.t${i % 3}`, t, { i }, expires ? { ttlMs: now + 300 - t } : {})
  })
  expect((await h.import(events)).imported).toBe(900)
  expect((await layout(dbName)).wide.length).toBe(15)
  await new Promise((r) => setTimeout(r, 400))
  const live = events.filter((e) => e.ttlMs === undefined)
  expect(ids(await h.query({ from: base + 30_500, to: base + 200_000 }))).toEqual(ids(expected(live, { from: base + 30_500, to: base + 200_000 })))
  expect(await h.count({ type: 's.t1', from: base + 30_500 })).toBe(expected(live, { type: 's.t1', from: base + 30_500 }).length)
  expect(await h.sweep()).toBe(450)
  const { wide, narrow } = await layout(dbName)
  expect([wide.length, narrow.length]).toEqual([10, 0])
  expect(ids(await readRaw(dbName))).toEqual(ids(sorted(live)))
  expect(await h.count()).toBe(450)
})

test('clear(query) deletes exactly the matching events from wide and narrow segments; export + import round trip keeps the events and the wide layout', async () => {
  const { h, dbName } = open('wide-clear')
  const sparse = Array.from({ length: 1200 }, (_, i) => envelope(`s.t${i % 2}`, at(Math.floor(i / 2), 250), { i }))
  const late = Array.from({ length: 150 }, (_, i) => envelope('s.t1', at(200, i * 3), { late: i }))
  await h.import(sparse)
  await h.import(late)
  let all = [...sparse, ...late]
  for (const q of [{ type: 's.t1', from: at(130, 1), to: at(215) }, { from: at(590), to: at(700) }] as HistoryQuery[]) {
    const gone = expected(all, q)
    expect(await h.clear(q)).toBe(gone.length)
    const drop = new Set(ids(gone))
    all = all.filter((e) => !drop.has(e.id))
    expect(ids(await readRaw(dbName))).toEqual(ids(sorted(all)))
    expect(await h.count()).toBe(all.length)
  }
  const text = await h.export({ format: 'jsonl' })
  const copy = open('wide-copy')
  expect((await copy.h.import(text)).imported).toBe(all.length)
  expect(ids(await copy.h.query())).toEqual(ids(sorted(all)))
  // One import: a wide segment for each type and span with at most WIDE_MAX events.
  const groups = new Map<string, number>()
  for (const e of all) groups.set(`${e.type} ${Math.floor(e.timestamp / 1000 / WIDE)}`, (groups.get(`${e.type} ${Math.floor(e.timestamp / 1000 / WIDE)}`) ?? 0) + 1)
  expect((await layout(copy.dbName)).wide.length).toBe([...groups.values()].filter((n) => n <= WIDE_MAX).length)
})

test('a database written with 10 s segments only reads, counts and evicts as before, and takes wide segments beside them', async () => {
  const { h, dbName } = open('wide-old')
  await h.ready
  await h.close()
  const old = Array.from({ length: 1500 }, (_, i) => envelope(`s.t${i % 3}`, at(Math.floor(i / 3), 100), { i }))
  // Put as the previous version did: one segment per type and 10 s window.
  await new Promise<void>((resolve, reject) => {
    const req = indexedDB.open(dbName)
    req.addEventListener('success', () => {
      const db = req.result
      const tx = db.transaction(['segments', 'types'], 'readwrite')
      for (const s of buildSegments(old, true)) tx.objectStore('segments').put(s)
      for (const t of ['s.t0', 's.t1', 's.t2']) tx.objectStore('types').put(1, t)
      tx.addEventListener('complete', () => (db.close(), resolve()))
      tx.addEventListener('abort', () => reject(tx.error))
    })
  })
  expect((await layout(dbName)).wide.length).toBe(0)
  const h2 = openHistory({ dbName, maxEvents: 1400 })
  const queries: HistoryQuery[] = [{ type: 's.t2', from: at(33, 7), to: at(401) }, { from: at(5), to: at(77), order: 'desc' }, { type: 's.*', from: at(59, 900), limit: 50 }]
  for (const q of queries) {
    expect(ids(await h2.query(q))).toEqual(ids(expected(old, q)))
    expect(await h2.count(q)).toBe(expected(old, q).length)
  }
  // New sparse events in the same spans: wide segments beside the old 10 s ones.
  const fresh = Array.from({ length: 90 }, (_, i) => envelope(`s.t${i % 3}`, at(100 + Math.floor(i / 3), 600), { fresh: i }))
  await h2.import(fresh)
  const all = sorted([...old, ...fresh]).slice(-1400)
  expect((await layout(dbName)).wide.length).toBeGreaterThan(0)
  for (const q of queries) expect(ids(await h2.query(q))).toEqual(ids(expected(all, q)))
  expect(ids(await readRaw(dbName))).toEqual(ids(all))
  await h2.close()
})

test('eviction in a span of two wide segments and an older narrow one takes the oldest events, not the first key', async () => {
  const { h, dbName } = open('wide-evict-order')
  // Two wide segments of `e` late in one span (the second from a batch too large to merge), then
  // a dense burst of `e` early in the same span (narrow): the index lists the wide keys first.
  const late1 = Array.from({ length: 40 }, (_, i) => envelope('e', at(40 + Math.floor(i / 2), i)))
  const late2 = [...Array.from({ length: 40 }, (_, i) => envelope('e', at(45 + Math.floor(i / 3), 500 + i))), ...Array.from({ length: 20 }, (_, i) => envelope(`other.${i}`, at(300)))]
  const early = Array.from({ length: 100 }, (_, i) => envelope('e', at(1, i * 5)))
  for (const b of [late1, late2, early]) await h.import(b)
  const { wide } = await layout(dbName)
  expect(wide.filter((s) => s.type === 'e').map((s) => s.n)).toEqual([40, 40])
  await h.close()
  const all = [...late1, ...late2, ...early]
  const capped = openHistory({ dbName, maxEvents: all.length - 5 })
  const next = envelope('e', at(600))
  await capped.import([next])
  const kept = sorted([...all, next]).slice(6)
  expect(ids(await readRaw(dbName))).toEqual(ids(kept))
  await capped.close()
})

/** Runs `fn`, counting the segments its requests returned and its cursor steps (spies call
 *  through and keep the requests). */
const traced = async <T>(fn: () => Promise<T>) => {
  const reqs: IDBRequest[] = []
  const spies = [IDBIndex.prototype, IDBObjectStore.prototype].flatMap((proto) =>
    (['getAll', 'get', 'openCursor'] as const).map((m) => {
      const orig = proto[m] as (...a: unknown[]) => IDBRequest
      return vi.spyOn(proto, m).mockImplementation(function (this: unknown, ...a: unknown[]) {
        const r = orig.apply(this, a)
        reqs.push(r)
        return r
      } as never)
    }),
  )
  const steps = vi.spyOn(IDBCursor.prototype, 'continue')
  try {
    const value = await fn()
    const segments = reqs.reduce((a, r) => a + (Array.isArray(r.result) ? r.result.length : 0), 0)
    return { value, segments, steps: steps.mock.calls.length }
  } finally {
    for (const s of [...spies, steps]) s.mockRestore()
  }
}

test('a span that holds a sparse type\'s wide segment beside 10 dense types is read and counted window by window, not as a whole span', async () => {
  const { h } = open('wide-mixed-cost')
  // 10 dense types, one event per ms for 60 s (600 segments of 100 events), and a sparse type once
  // per second (one wide segment for the span).
  const dense = Array.from({ length: 60_000 }, (_, i) => envelope(`d.t${i % 10}`, at(0, i), { i }))
  const sparse = Array.from({ length: 60 }, (_, i) => envelope('s.one', at(i, 500), { i }))
  await h.import([...dense, ...sparse])
  const all = [...dense, ...sparse]
  // A time-only query with a limit, from inside the first window: that window's 100 segments are
  // stepped onto (plus the wide one and the next window's first), not the span's 601.
  const q: HistoryQuery = { from: at(5), limit: 20 }
  const r = await traced(() => h.query(q))
  expect(ids(r.value)).toEqual(ids(expected(all, q)))
  expect(r.steps).toBeLessThanOrEqual(105)
  // A time-only count that cuts two windows of the span: those two windows' segments are read
  // (100 each) and the wide one, not the span's 600.
  const c: HistoryQuery = { from: at(5, 1), to: at(34) }
  const k = await traced(() => h.count(c))
  expect(k.value).toBe(expected(all, c).length)
  expect(k.segments).toBeLessThanOrEqual(201)
})
