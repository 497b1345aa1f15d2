// Paths that Chromium's defaults do not take on their own: desc pages read through a cursor (what
// browsers without IDBIndex.getAllRecords do), and clear(q) across many segments and types (ids
// looked up per segment, see put.ts findStored).
import type { TidingsEvent } from '@tidings/core'
import { afterEach, expect, test, vi } from 'vitest'
import { openHistory, type History } from './index.js'
import { planQuery } from './plan.js'
import { readPages, SEG_PAGE_MIN, TASK_EVENTS } from './reader.js'
import { compareEvents } from './segment.js'
import type { Slicer } from './slice.js'
import { deleteDb, envelope, readSegments, uniqueDb } from './test-helpers.js'

const ids = (xs: readonly TidingsEvent[]) => xs.map((e) => e.id)
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c()
})
function open(dbName: string): History {
  const h = openHistory({ dbName })
  cleanups.push(async () => {
    await h.close()
    await deleteDb(dbName)
  })
  return h
}

/** Segments of two types over several buckets, interleaved in time across imports, so pages
 *  end inside buckets. Returns every event in (timestamp, seq, id) order. */
async function seed(h: History): Promise<TidingsEvent[]> {
  const events: TidingsEvent[] = []
  for (let k = 0; k < 2 * SEG_PAGE_MIN + 3; k++) {
    const batch: TidingsEvent[] = []
    for (let bucket = 0; bucket < 4; bucket++) {
      for (let j = 0; j < 3; j++) batch.push(envelope(j % 2 ? 'r.odd' : 'r.even', 8000 + bucket * 1000 + j * 40 + k, { k, bucket, j }, k % 5 === 0 ? { correlationId: 'five' } : {}))
    }
    events.push(...batch)
    await h.import(batch)
  }
  return events.sort(compareEvents)
}

test('desc queries read through a cursor when IDBIndex.getAllRecords is missing: same results, order and limits', async () => {
  const h = open(uniqueDb('desc-cursor'))
  const want = (await seed(h)).toReversed()
  const withRecords = {
    all: ids(await h.query({ order: 'desc' })),
    limited: ids(await h.query({ order: 'desc', limit: 17 })),
    typed: ids(await h.query({ type: 'r.odd', order: 'desc' })),
    glob: ids(await h.query({ type: 'r.*', order: 'desc', limit: 40 })),
    chain: ids(await h.query({ correlationId: 'five', order: 'desc' })),
    window: ids(await h.query({ from: 9010, to: 10_050, order: 'desc' })),
  }
  const proto = IDBIndex.prototype as { getAllRecords?: unknown }
  const real = Object.getOwnPropertyDescriptor(proto, 'getAllRecords')
  delete proto.getAllRecords
  cleanups.push(() => {
    if (real) Object.defineProperty(proto, 'getAllRecords', real)
  })
  expect(ids(await h.query({ order: 'desc' }))).toEqual(ids(want))
  expect({
    all: ids(await h.query({ order: 'desc' })),
    limited: ids(await h.query({ order: 'desc', limit: 17 })),
    typed: ids(await h.query({ type: 'r.odd', order: 'desc' })),
    glob: ids(await h.query({ type: 'r.*', order: 'desc', limit: 40 })),
    chain: ids(await h.query({ correlationId: 'five', order: 'desc' })),
    window: ids(await h.query({ from: 9010, to: 10_050, order: 'desc' })),
  }).toEqual(withRecords)
  expect(withRecords.typed).toEqual(ids(want.filter((e) => e.type === 'r.odd')))
  expect(withRecords.chain).toEqual(ids(want.filter((e) => e.correlationId === 'five')))
})

/** What clear({ type: 'r.even', to: 10_999 }) removes from seed(): even j, first three buckets. */
const cleared = (e: TidingsEvent) => (e.data as { j: number }).j !== 1 && (e.data as { bucket: number }).bucket < 3

test('clear(q) across many segments of two types deletes exactly the matching events', async () => {
  const dbName = uniqueDb('clear-many')
  const h = open(dbName)
  const all = await seed(h)
  const segments = (await readSegments(dbName)).length
  expect(await h.clear({ type: 'r.even', to: 10_999 })).toBe(all.filter(cleared).length)
  expect(ids(await h.query())).toEqual(ids(all.filter((e) => !cleared(e))))
  expect(await h.count()).toBe(all.length - all.filter(cleared).length)
  const after = await readSegments(dbName)
  expect(after.length).toBeLessThan(segments)
  for (const s of after) expect([s.n, s.ids]).toEqual([s.events.length, ids(s.events)])
})

test('a dense window (20,000 events of 20 types in 10 s) is checked for its slice at least every 512 events: same events and order both ways', async () => {
  const dbName = uniqueDb('reader-dense')
  const h = open(dbName)
  const events = Array.from({ length: 20_000 }, (_, i) => envelope(`w.t${i % 20}`, 50_000_000 + Math.floor(i / 2), { i }))
  await h.import(events)
  const getDb = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName)
      req.addEventListener('success', () => (cleanups.push(() => req.result.close()), resolve(req.result)))
      req.addEventListener('error', () => reject(req.error))
    })
  for (const order of ['asc', 'desc'] as const) {
    // A slicer that hands the thread back at every check and records how much was merged in
    // between (every event matches; the where-condition runs on each segment as it arrives, in
    // that reply's task, at most SEGMENT_MAX events).
    const at: number[] = []
    const p = { scanned: 0, matched: 0 }
    const sl: Slicer = { p, fresh: () => {}, pause: async () => void at.push(p.matched), report: () => {} }
    const got: TidingsEvent[] = []
    for await (const page of readPages(getDb, planQuery({ where: { 'data.i': ['>=', 0] }, order }), Date.now(), sl)) got.push(...page)
    const want = [...events].sort(compareEvents)
    expect(ids(got)).toEqual(ids(order === 'asc' ? want : want.toReversed()))
    expect(p).toEqual({ scanned: 20_000, matched: 20_000 })
    const steps = at.map((n, k) => n - (at[k - 1] ?? 0))
    expect(Math.max(...steps)).toBeLessThanOrEqual(512)
    expect(at.length).toBeGreaterThanOrEqual(20_000 / 512)
  }
})

/** Counts, on the IndexedDB prototypes while `fn` runs, the gets, getAlls, cursors opened and
 *  cursor steps a read issues. */
async function countRequests<T>(fn: () => Promise<T>): Promise<{ value: T; gets: number; getAlls: number; cursors: number; steps: number }> {
  // Spies call through to IndexedDB and count.
  const spies = [vi.spyOn(IDBObjectStore.prototype, 'get'), vi.spyOn(IDBIndex.prototype, 'getAll'), vi.spyOn(IDBIndex.prototype, 'openCursor'), vi.spyOn(IDBCursor.prototype, 'continue')]
  try {
    const value = await fn()
    const [gets, getAlls, cursors, steps] = spies.map((spy) => spy.mock.calls.length) as [number, number, number, number]
    return { value, gets, getAlls, cursors, steps }
  } finally {
    for (const spy of spies) spy.mockRestore()
  }
}

test('dense segments are read through a cursor, one segment per step, no get; sparse ones by getAll; same events, order and progress', async () => {
  const h = open(uniqueDb('reader-requests'))
  // Dense: 10 types, one event per ms for 30 s: segments of one type and second (100 events).
  const dense = Array.from({ length: 30_000 }, (_, i) => envelope(`d.t${i % 10}`, 2_000_000 + i, { i }))
  // Sparse: 4 types, each once per second for 2,000 s: one wide segment per type and 60 s span.
  const sparse = Array.from({ length: 8000 }, (_, i) => envelope(`s.t${i % 4}`, 10_000_000 + Math.floor(i / 4) * 1000 + (i % 4), { i }))
  await h.import(dense)
  await h.import(sparse)
  const progress: Array<{ scanned: number; matched: number }> = []
  // One type's 30 segments of 100 events: one cursor per page, a step per segment.
  const d = await countRequests(() => h.query({ type: 'd.t3', where: { 'data.i': ['>=', 0] } }, { onProgress: (p) => progress.push(p) }))
  expect(ids(d.value)).toEqual(ids(dense.filter((e) => e.type === 'd.t3')))
  expect(progress.at(-1)).toEqual({ scanned: 3000, matched: 3000 })
  expect([d.gets, d.getAlls]).toEqual([0, 0])
  // Each segment decoded once: a page steps on to the end of its last window (the first page, 8
  // segments, to the 10th) and the next page opens at the window it stopped at: 30 steps in all
  // (each cursor's first segment comes with its opening; the last step finds the end).
  expect(d.cursors).toBe(2)
  expect(d.steps).toBe(30)
  // A where-only scan keeps only what matches (1 in 1,000) and still returns it in order.
  const w = await countRequests(() => h.query({ where: { 'data.i': ['>=', 29_000] }, from: 2_000_000, to: 2_999_999 }))
  expect(ids(w.value)).toEqual(ids(dense.slice(29_000)))
  expect(w.gets).toBe(0)
  // Sparse, one type over 2,000 s: wide segments of 60 events (one per 60 s span; the first
  // span, from 9,960 s, holds 20). `from` (10,000 s) is inside that span: one point range finds
  // its wide segment (a getAll). Then the first page (a cursor) and the other 25 segments by
  // getAll, up to TASK_EVENTS events each (18 segments of ~55 events).
  const s = await countRequests(() => h.query({ type: 's.t1', from: 10_000_000, to: 11_999_999 }))
  expect(ids(s.value)).toEqual(ids(sparse.filter((e) => e.type === 's.t1')))
  expect([s.cursors, s.steps]).toEqual([1, SEG_PAGE_MIN])
  expect(s.getAlls).toBe(1 + Math.ceil((34 - 1 - SEG_PAGE_MIN) / Math.floor(TASK_EVENTS / ((SEG_PAGE_MIN * 60 + 20) / (SEG_PAGE_MIN + 1)))))
})
