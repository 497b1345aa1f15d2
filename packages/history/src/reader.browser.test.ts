// Paths that Chromium's defaults do not take on their own: desc pages read through a cursor (what
// browsers without IDBIndex.getAllRecords do), and clear(q) across many segments and types (ids
// looked up per segment, see put.ts findStored).
import type { TidingsEvent } from '@tidings/core'
import { afterEach, expect, test } from 'vitest'
import { openHistory, type History } from './index.js'
import { planQuery } from './plan.js'
import { readPages, SEG_PAGE_MIN } from './reader.js'
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
    // A slicer that hands the thread back at every check and records how much was scanned in
    // between.
    const at: number[] = []
    const p = { scanned: 0, matched: 0 }
    const sl: Slicer = { p, fresh: () => {}, pause: async () => void at.push(p.scanned), report: () => {} }
    const got: TidingsEvent[] = []
    for await (const page of readPages(getDb, planQuery({ where: { 'data.i': ['>=', 0] }, order }), Date.now(), sl)) got.push(...page)
    const want = [...events].sort(compareEvents)
    expect(ids(got)).toEqual(ids(order === 'asc' ? want : want.toReversed()))
    const steps = at.map((n, k) => n - (at[k - 1] ?? 0))
    expect(Math.max(...steps)).toBeLessThanOrEqual(512)
    expect(at.length).toBeGreaterThanOrEqual(20_000 / 512)
  }
})
