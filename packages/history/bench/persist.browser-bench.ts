// @tidings/history in headless Chromium (real IndexedDB):
// 1. sustained persist rate: persistent events published in bursts of 500 per task (as a busy
//    app would), batched by the history (also with maxEvents, and with two histories sharing the
//    database), vs one transaction per event (each publishAsync awaited: what writing every event
//    on its own costs), and raw IndexedDB references: one record per event (the previous layout)
//    and segments (the current one);
// 2. query by exact type + time range returning 1 000 of 100 000 stored events (the [type,
//    timestamp] index), plus the same range through a glob and in descending order.
// Every run verifies counts and order and sets `ok`.
import { createBus } from '@tidings/core'
// The glob row uses a class ('shop.t[3]'), which needs core's extended matcher.
import '@tidings/core/globs'
import { openHistory, type History } from '@tidings/history'
import type { BenchTable } from '../../../bench/types.ts'
import { bridgeHost } from '@tidings/core/bridge'

const BATCHED_EVENTS = 50_000
const BURST = 500
const RAW_TX = 10_000
const SINGLE_EVENTS = 1_000
const STORED = 100_000
const TYPES = 10
const QUERY_RUNS = 25
const MAX_EVENTS = 20_000

const dbName = (label: string) => `bench-history-${label}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`
const tick = () => new Promise<void>((r) => setTimeout(r, 0))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

async function dispose(h: History): Promise<void> {
  const name = h.dbName
  await h.close()
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(name)
    for (const type of ['success', 'error', 'blocked']) req.addEventListener(type, () => resolve())
  })
}

/** Data shaped like a small business event (~100 bytes). */
const payload = (i: number) => ({ orderId: `o-${i}`, amount: i % 1000, currency: 'EUR', items: i % 7 })

async function persistBatched(maxEvents?: number): Promise<{ rate: number; transactions: number; evicted: number; ok: boolean }> {
  const h = openHistory({ dbName: dbName('batched'), ...(maxEvents === undefined ? {} : { maxEvents }) })
  await h.ready
  const bus = createBus()
  h.attach(bus)
  const t0 = performance.now()
  for (let i = 0; i < BATCHED_EVENTS; i += BURST) {
    for (let j = i; j < i + BURST; j++) bus.publish('order.placed', payload(j), { persistent: true })
    await tick()
  }
  await h.flush()
  const ms = performance.now() - t0
  const { transactions, written, evicted } = h.stats()
  const last = await h.query({ type: 'order.placed', order: 'desc', limit: 1 })
  const kept = Math.min(BATCHED_EVENTS, maxEvents ?? BATCHED_EVENTS)
  const first = await h.query({ type: 'order.placed', limit: 1 })
  const ok =
    written === BATCHED_EVENTS &&
    evicted === BATCHED_EVENTS - kept &&
    (await h.count()) === kept &&
    (last[0]?.data as { orderId?: string })?.orderId === `o-${BATCHED_EVENTS - 1}` &&
    (first[0]?.data as { orderId?: string })?.orderId === `o-${BATCHED_EVENTS - kept}`
  await dispose(h)
  return { rate: (BATCHED_EVENTS / ms) * 1000, transactions, evicted, ok }
}

/** Two histories on one database (two tabs), their buses bridged both ways: every event is
 *  recorded by both, the second writer's segments collide on the ids index and fall back to
 *  storing only the ids not stored yet. */
async function persistShared(): Promise<{ rate: number; transactions: number; ok: boolean }> {
  const name = dbName('shared')
  const h1 = openHistory({ dbName: name })
  const h2 = openHistory({ dbName: name })
  await Promise.all([h1.ready, h2.ready])
  const a = createBus()
  const b = createBus()
  h1.attach(a)
  h2.attach(b)
  a.on('order.**').subscribe((e) => bridgeHost(b, 'test').ingest(e, 'bench-bridge'))
  const t0 = performance.now()
  for (let i = 0; i < BATCHED_EVENTS; i += BURST) {
    for (let j = i; j < i + BURST; j++) a.publish('order.placed', payload(j), { persistent: true })
    await tick()
  }
  await Promise.all([h1.flush(), h2.flush()])
  const ms = performance.now() - t0
  const s1 = h1.stats()
  const s2 = h2.stats()
  const all = await h1.query({ type: 'order.placed' })
  const ok =
    s1.failed + s2.failed === 0 &&
    all.length === BATCHED_EVENTS &&
    new Set(all.map((e) => e.id)).size === BATCHED_EVENTS &&
    (await h2.count()) === BATCHED_EVENTS &&
    all.every((e, i) => (e.data as { orderId?: string }).orderId === `o-${i}`)
  await h2.close()
  await dispose(h1)
  return { rate: (BATCHED_EVENTS / ms) * 1000, transactions: s1.transactions + s2.transactions, ok }
}

/** A reference for this machine at this moment: the same envelopes put by raw IndexedDB code
 *  into a store with no indexes, 10 000 per transaction (batches of the size the history forms
 *  under this load), no bus and no history. */
async function rawCeiling(withIndexes: boolean): Promise<{ rate: number; ok: boolean }> {
  const name = dbName('raw')
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    req.addEventListener('upgradeneeded', () => {
      const store = req.result.createObjectStore('events', { keyPath: 'id' })
      if (!withIndexes) return
      // The history's own indexes (see src/schema.ts).
      store.createIndex('type_time', ['type', 'timestamp', 'seq', 'id'])
      store.createIndex('time', ['timestamp', 'seq', 'id'])
      store.createIndex('correlation_time', ['correlationId', 'timestamp', 'seq', 'id'])
      store.createIndex('expires', 'expiresAt')
    })
    req.addEventListener('success', () => resolve(req.result))
    req.addEventListener('error', () => reject(req.error))
  })
  const bus = createBus()
  const events: unknown[] = []
  bus.on('order.placed').subscribe((e) => events.push(e))
  for (let i = 0; i < BATCHED_EVENTS; i++) bus.publish('order.placed', payload(i), { persistent: true })
  const t0 = performance.now()
  for (let i = 0; i < BATCHED_EVENTS; i += RAW_TX) {
    const tx = db.transaction('events', 'readwrite')
    const store = tx.objectStore('events')
    for (let j = i; j < i + RAW_TX; j++) store.put(events[j])
    await new Promise((resolve) => tx.addEventListener('complete', resolve))
  }
  const ms = performance.now() - t0
  const count = await new Promise<number>((resolve) => {
    const req = db.transaction('events', 'readonly').objectStore('events').count()
    req.addEventListener('success', () => resolve(req.result))
  })
  db.close()
  indexedDB.deleteDatabase(name)
  return { rate: (BATCHED_EVENTS / ms) * 1000, ok: count === BATCHED_EVENTS }
}

/** A reference for the segment layout: the same envelopes put by raw IndexedDB code as
 *  segments (one record per `perSegment` events of one type and one 1 s bucket), into a store with
 *  the indexes the segment layout needs, including a multiEntry index over the events' ids
 *  (`unique` or not), 10 000 events per transaction. */
async function rawSegments(perSegment: number, uniqueIds: boolean): Promise<{ rate: number; ok: boolean; puts: number }> {
  const name = dbName('rawseg')
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name, 1)
    req.addEventListener('upgradeneeded', () => {
      const store = req.result.createObjectStore('segments', { autoIncrement: true })
      store.createIndex('type_bucket', ['type', 'bucket'])
      store.createIndex('bucket', 'bucket')
      store.createIndex('corr', 'corr', { multiEntry: true })
      store.createIndex('exp', 'exp')
      store.createIndex('ids', 'ids', { multiEntry: true, unique: uniqueIds })
    })
    req.addEventListener('success', () => resolve(req.result))
    req.addEventListener('error', () => reject(req.error))
  })
  const bus = createBus()
  const events: Array<{ id: string; type: string; timestamp: number }> = []
  bus.on('order.placed').subscribe((e) => events.push(e))
  for (let i = 0; i < BATCHED_EVENTS; i++) bus.publish('order.placed', payload(i), { persistent: true })
  let puts = 0
  const t0 = performance.now()
  for (let i = 0; i < BATCHED_EVENTS; i += RAW_TX) {
    const tx = db.transaction('segments', 'readwrite')
    const store = tx.objectStore('segments')
    // Group as the writer would: consecutive events of one type and one bucket, at most perSegment.
    let j = i
    while (j < i + RAW_TX) {
      const first = events[j]!
      const bucket = Math.floor(first.timestamp / 1000)
      const seg: typeof events = []
      while (j < i + RAW_TX && seg.length < perSegment && events[j]!.type === first.type && Math.floor(events[j]!.timestamp / 1000) === bucket) seg.push(events[j++]!)
      store.put({ type: first.type, bucket, t0: seg[0]!.timestamp, t1: seg[seg.length - 1]!.timestamp, n: seg.length, ids: seg.map((e) => e.id), events: seg })
      puts++
    }
    await new Promise((resolve) => tx.addEventListener('complete', resolve))
  }
  const ms = performance.now() - t0
  const count = await new Promise<number>((resolve) => {
    const req = db.transaction('segments', 'readonly').objectStore('segments').index('ids').count()
    req.addEventListener('success', () => resolve(req.result))
  })
  db.close()
  indexedDB.deleteDatabase(name)
  return { rate: (BATCHED_EVENTS / ms) * 1000, ok: count === BATCHED_EVENTS, puts }
}

async function persistOnePerEvent(): Promise<{ rate: number; transactions: number; ok: boolean }> {
  const h = openHistory({ dbName: dbName('single') })
  await h.ready
  const bus = createBus()
  h.attach(bus)
  const t0 = performance.now()
  for (let i = 0; i < SINGLE_EVENTS; i++) await bus.publishAsync('order.placed', payload(i), { persistent: true })
  const ms = performance.now() - t0
  const { transactions } = h.stats()
  const ok = transactions === SINGLE_EVENTS && (await h.count()) === SINGLE_EVENTS
  await dispose(h)
  return { rate: (SINGLE_EVENTS / ms) * 1000, transactions, ok }
}

async function queries(): Promise<{ rows: Array<[string, string, string, string]>; ok: boolean; exactMs: number }> {
  const h = openHistory({ dbName: dbName('query') })
  await h.ready
  const base = 1_700_000_000_000
  // 100k events, 10 types interleaved, one per ms: each type holds 10k; a 10 000 ms window of
  // one type holds exactly 1 000.
  const events = Array.from({ length: STORED }, (_, i) => ({
    id: `bench:${i}`,
    type: `shop.t${i % TYPES}`,
    timestamp: base + i,
    version: 1 as const,
    data: payload(i),
    origin: 'bench',
    seq: i,
  }))
  const seedT0 = performance.now()
  const report = await h.import(events)
  const seedMs = performance.now() - seedT0
  let ok = report.imported === STORED && (await h.count()) === STORED
  const from = base + 40_000
  const to = base + 49_999
  const want = events.filter((e) => e.type === 'shop.t3' && e.timestamp >= from && e.timestamp <= to).map((e) => e.id)
  const cases: Array<[string, Parameters<History['query']>[0]]> = [
    ['exact type + time range', { type: 'shop.t3', from, to }],
    ['exact type + time range, desc', { type: 'shop.t3', from, to, order: 'desc' }],
    ['glob type + time range', { type: 'shop.t[3]', from, to }],
    ['exact type + time range + where', { type: 'shop.t3', from, to, where: { 'data.amount': ['>=', 0] } }],
    ['no type, time range (limit 1,000)', { from, to, limit: 1000 }],
  ]
  const rows: Array<[string, string, string, string]> = []
  let exactMs = Number.NaN
  for (const [label, q] of cases) {
    const times: number[] = []
    for (let r = 0; r < QUERY_RUNS; r++) {
      const t0 = performance.now()
      const got = await h.query(q)
      times.push(performance.now() - t0)
      const ids = got.map((e) => e.id)
      const expected = q?.type === undefined ? events.filter((e) => e.timestamp >= from).slice(0, 1000).map((e) => e.id) : q.order === 'desc' ? want.toReversed() : want
      if (ids.length !== 1000 || ids.some((id, k) => id !== expected[k])) ok = false
    }
    const med = median(times)
    if (label === 'exact type + time range') exactMs = med
    rows.push([label, '1,000 of 100,000', med.toFixed(1), Math.min(...times).toFixed(1)])
  }
  rows.push(['(seeding 100k via import)', `${fmt(STORED)} stored`, seedMs.toFixed(0), ''])
  await dispose(h)
  return { rows, ok, exactMs }
}

export default async function persistBench(): Promise<BenchTable> {
  const batched = await persistBatched()
  const capped = await persistBatched(MAX_EVENTS)
  const shared = await persistShared()
  const raw = await rawCeiling(false)
  const rawIndexed = await rawCeiling(true)
  const segs: Array<[number, boolean, Awaited<ReturnType<typeof rawSegments>>]> = []
  for (const [per, unique] of [[500, true], [500, false], [2000, true], [2000, false]] as const) segs.push([per, unique, await rawSegments(per, unique)])
  const single = await persistOnePerEvent()
  const q = await queries()
  const rows: (string | number)[][] = [
    ['persist, batched (bursts of 500 per task)', `${fmt(BATCHED_EVENTS)} events`, `${fmt(batched.rate)} events/s`, `${batched.transactions} transactions`],
    ['persist, batched, maxEvents 20,000 (count + evict oldest in every transaction)', `${fmt(BATCHED_EVENTS)} events`, `${fmt(capped.rate)} events/s`, `${capped.transactions} transactions, ${fmt(capped.evicted)} evicted`],
    ['persist, two histories on one database, buses bridged (every event recorded twice, stored once)', `${fmt(BATCHED_EVENTS)} events`, `${fmt(shared.rate)} events/s`, `${shared.transactions} transactions`],
    ['reference (previous layout): raw IndexedDB put, one record per event, no indexes, no bus, 10,000 per transaction', `${fmt(BATCHED_EVENTS)} events`, `${fmt(raw.rate)} events/s`, `${BATCHED_EVENTS / RAW_TX} transactions`],
    ['reference (previous layout): raw IndexedDB put, one record per event, its 4 indexes, no bus, 10,000 per transaction', `${fmt(BATCHED_EVENTS)} events`, `${fmt(rawIndexed.rate)} events/s`, `${BATCHED_EVENTS / RAW_TX} transactions`],
    ...segs.map(([per, unique, r]) => [
      `reference: raw IndexedDB put of segments (${fmt(per)} events per record), segment indexes, ids index ${unique ? 'unique' : 'not unique'}, 10,000 events per transaction`,
      `${fmt(BATCHED_EVENTS)} events`,
      `${fmt(r.rate)} events/s`,
      `${r.puts} puts`,
    ]),
    ['persist, one transaction per event (awaited publishAsync)', `${fmt(SINGLE_EVENTS)} events`, `${fmt(single.rate)} events/s`, `${single.transactions} transactions`],
    ...q.rows.map(([label, size, med, min]) => [`query: ${label}`, size, `${med} ms median`, min === '' ? '' : `${min} ms min`]),
  ]
  return {
    title: '@tidings/history: IndexedDB persist rate and indexed queries (headless Chromium)',
    columns: ['case', 'size', 'result', 'detail'],
    rows,
    notes: [
      `batched persist: ${fmt(batched.rate)} events/s (target >= 20,000): ${batched.rate >= 20_000 ? 'met' : 'NOT met'}; ` +
        `${(batched.rate / single.rate).toFixed(0)}x one transaction per event; ${((batched.rate / segs[0]![2].rate) * 100).toFixed(0)}% of raw segment puts (500 per record, unique ids index); ` +
        `${(batched.rate / rawIndexed.rate).toFixed(1)}x raw one-record-per-event puts with the previous layout's indexes, measured in the same run`,
      `with maxEvents: ${fmt(capped.rate)} events/s; two histories sharing the database: ${fmt(shared.rate)} events/s`,
      `type + time query returning 1,000 of 100,000: ${q.exactMs.toFixed(1)} ms median of ${QUERY_RUNS} (target < 50 ms): ${q.exactMs < 50 ? 'met' : 'NOT met'}`,
      'Verified: every written count, the last event of the batched run, and each query result (ids and order) against the expected list.',
    ],
    ok: batched.ok && capped.ok && shared.ok && raw.ok && rawIndexed.ok && segs.every(([, , r]) => r.ok) && single.ok && q.ok,
  }
}
