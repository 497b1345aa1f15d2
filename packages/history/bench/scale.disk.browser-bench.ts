// @tidings/history at scale, on an ON-DISK Chromium profile (the runner launches this file in a
// persistent context with a real --user-data-dir, because the name has `.disk.`): an in-memory
// profile hides what a count or an eviction costs when LevelDB lives on disk.
// For each size (10k and 100k stored events; 1M with `--history-size 1m`), in one database
// filled by import in bursts (10 types, one event per ms) and capped with maxEvents = size:
//   - import rate while filling, and bytes per event on disk (the growth of the database's own
//     LevelDB directory: each layout's database is in a storage bucket of its own, and the bench
//     runner reads the files' sizes from Node once the database is closed and LevelDB quiet);
//   - persistent publishAsync ack latency, p50 / p99, with the store full (every ack evicts);
//   - batched persist rate with the store full (bursts of 500 per task, each batch evicts);
//   - count() unfiltered, count({ type, from, to }) from index keys;
//   - an indexed query (exact type + time range, 1,000 results);
//   - an unindexed scan (a where-only query over everything): total time and the longest task
//     the page saw meanwhile (a MessageChannel heartbeat measures the gaps between its tasks);
//   - the floor: the same acks on an empty database next to the full one (no maxEvents);
// and, filled after the queries and kept until the end (a deletion keeps LevelDB compacting for
// seconds, which no measurement should share; every size's databases are deleted after the last
// size), a second database with the same number of SPARSE
// events (each type once per second: one event per 1 s bucket and type, the case that used to
// store one event per segment): import rate, bytes per event, and the same type + time query,
// against the burst figures.
// Every figure is checked: counts, ids and order of each query against the expected list.
import { createBus, type TidingsEvent } from '@tidings/core'
import { openHistory, type History } from '@tidings/history'
import type { BenchTable } from '../../../bench/types.ts'
import { longestTask } from './longest-task.ts'

const TYPES = 10
const CHUNK = 20_000
const ACKS = 300
const BATCHED = 20_000
const BURST = 500
const RUNS = 9
const SCAN_RUNS = 5
const RESULTS = 1000
const SIZES: Record<string, number> = { '10k': 10_000, '100k': 100_000, '1m': 1_000_000 }

const params = new URLSearchParams(globalThis.location?.search ?? '')
const sizes = [SIZES['10k']!, SIZES['100k']!, ...(params.get('historySize') === '1m' ? [SIZES['1m']!] : [])]

const dbName = (label: string) => `bench-scale-${label}-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0))
const tick = () => new Promise<void>((r) => setTimeout(r, 0))
const payload = (i: number) => ({ orderId: `o-${i}`, amount: i % 1000, currency: 'EUR', items: i % 7 })

function event(i: number, timestamp: number): TidingsEvent {
  return { id: `s:${i}`, type: `shop.t${i % TYPES}`, timestamp, version: 1, data: payload(i), origin: 'bench', seq: i }
}

interface DiskFile {
  /** The LevelDB directory, relative to the profile: one per origin and storage bucket. */
  dir: string
  name: string
  bytes: number
}
/** Exposed by the bench runner (bench/lib/browser-runner.mjs) in a persistent context: the files
 *  of the profile's IndexedDB LevelDB directories, as Node's stat sees them. */
const diskFiles = (globalThis as { benchIndexedDbFiles?: () => Promise<DiskFile[]> }).benchIndexedDbFiles
const SETTLE_POLL_MS = 250
const SETTLE_STABLE_MS = 1500
const SETTLE_MAX_MS = 20_000

async function usage(): Promise<number> {
  return (await navigator.storage.estimate()).usage ?? 0
}

async function listDisk(): Promise<DiskFile[]> {
  if (!diskFiles) throw new Error('no benchIndexedDbFiles: run this file through bench/run.mjs (a persistent context)')
  return await diskFiles()
}

interface DirSize {
  bytes: number
  /** Of which LevelDB's write-ahead log (records not yet in its compressed tables). */
  log: number
  waitedMs: number
}

/** The LevelDB directory `dir` on disk (every file: tables, log, manifest), once LevelDB is quiet:
 *  polled until its size stays the same for SETTLE_STABLE_MS (background flushes and compactions
 *  done). */
async function settledDirBytes(dir: string): Promise<DirSize> {
  const t0 = performance.now()
  let last = -1
  let since = t0
  for (;;) {
    const files = (await listDisk()).filter((f) => f.dir === dir)
    const bytes = files.reduce((a, f) => a + f.bytes, 0)
    const now = performance.now()
    if (bytes !== last) {
      last = bytes
      since = now
    } else if (now - since >= SETTLE_STABLE_MS || now - t0 >= SETTLE_MAX_MS) {
      const log = files.filter((f) => f.name.endsWith('.log')).reduce((a, f) => a + f.bytes, 0)
      return { bytes, log, waitedMs: now - t0 }
    }
    await new Promise((r) => setTimeout(r, SETTLE_POLL_MS))
  }
}

interface StorageBuckets {
  open(name: string): Promise<{ indexedDB: IDBFactory }>
  delete(name: string): Promise<void>
}
const buckets = (navigator as Navigator & { storageBuckets?: StorageBuckets }).storageBuckets

/** A History in storage bucket `bucket` (a LevelDB of its own: nothing else written, compacted or
 *  deleted in the origin shows in its directory). openHistory opens through the global
 *  `indexedDB`, so it is pointed at the bucket's factory while the database opens. */
async function openInBucket(bucket: string, open: () => History): Promise<History> {
  if (!buckets) throw new Error('navigator.storageBuckets is missing (Chromium 122+)')
  const factory = (await buckets.open(bucket)).indexedDB
  const own = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB')!
  Object.defineProperty(globalThis, 'indexedDB', { value: factory, configurable: true, writable: true })
  try {
    const h = open()
    await h.ready
    return h
  } finally {
    Object.defineProperty(globalThis, 'indexedDB', own)
  }
}

interface Filled {
  /** The database, open again after its size was measured. */
  h: History
  rate: number
  /** Growth of the database's LevelDB directory per event, right after the import (closed, quiet). */
  bytes: number
  /** Of `bytes`, what is still in LevelDB's write-ahead log (uncompressed, superseded writes included). */
  logBytes: number
  /** The old figure, for comparison: navigator.storage.estimate() usage right after the fill
   *  minus before, per event (the quota system's figure for the whole origin). */
  estimateBytes: number
  ok: boolean
}

/** Opens a database with `open` in a fresh storage bucket of its own, fills it with `size` events
 *  spaced `spacing` ms apart by import in chunks, closes it and measures what its LevelDB
 *  directory grew by, then opens it again for the rest of the bench. (Opening and closing it once
 *  more before measuring changed nothing at 10k and 100k: LevelDB kept its log.) */
async function fill(bucket: string, open: () => History, size: number, base: number, spacing: number): Promise<Filled> {
  const dirsBefore = new Set((await listDisk()).map((f) => f.dir))
  const usageBefore = await usage()
  const h = await openInBucket(bucket, open)
  const dir = (await listDisk()).map((f) => f.dir).find((d) => !dirsBefore.has(d))
  if (dir === undefined) throw new Error(`no new IndexedDB directory for storage bucket ${bucket}`)
  const empty = await settledDirBytes(dir)
  let ok = true
  const t0 = performance.now()
  for (let i = 0; i < size; i += CHUNK) {
    const chunk = Array.from({ length: Math.min(CHUNK, size - i) }, (_, j) => event(i + j, base + (i + j) * spacing))
    const report = await h.import(chunk)
    ok = ok && report.imported === chunk.length && report.rejected.length === 0
  }
  const elapsed = performance.now() - t0
  const estimateBytes = ((await usage()) - usageBefore) / size
  await h.close()
  const closed = await settledDirBytes(dir)
  return {
    h: await openInBucket(bucket, open),
    rate: (size / elapsed) * 1000,
    bytes: (closed.bytes - empty.bytes) / size,
    logBytes: (closed.log - empty.log) / size,
    estimateBytes,
    ok,
  }
}

async function dispose(h: History): Promise<void> {
  const name = h.dbName
  await h.close()
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(name)
    for (const type of ['success', 'error', 'blocked']) req.addEventListener(type, () => resolve())
  })
}

async function timeRuns(fn: () => Promise<boolean>): Promise<{ med: number; ok: boolean }> {
  const times: number[] = []
  let ok = true
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now()
    ok = (await fn()) && ok
    times.push(performance.now() - t0)
  }
  return { med: median(times), ok }
}

/** Type + time query returning RESULTS events of shop.t3, checked against the expected ids. */
function typeTimeQuery(h: History, base: number, spacing: number, size: number): () => Promise<boolean> {
  // shop.t3 is every TYPES-th event: RESULTS of them span RESULTS * TYPES events.
  const first = Math.floor((size - RESULTS * TYPES) / 2 / TYPES) * TYPES + 3
  const from = base + first * spacing
  const to = base + (first + (RESULTS - 1) * TYPES) * spacing
  return async () => {
    const got = await h.query({ type: 'shop.t3', from, to })
    return got.length === RESULTS && got.every((e, k) => e.id === `s:${first + k * TYPES}`)
  }
}

interface SizeResult {
  rows: (string | number)[][]
  ok: boolean
  failed: string[]
  ackP99: number
  scanLongest: number
  idleLongest: number
  burstQuery: number
  sparseQuery: number
  burstBytes: number
  sparseBytes: number
  sparseImport: number
  /** Deletes this size's databases: run after every size is measured. */
  dispose(): Promise<void>
}

async function measureSize(size: number): Promise<SizeResult> {
  const label = fmt(size)
  const base = 1_700_000_000_000
  const burstBucket = dbName(`burst-${size}`)
  const filled = await fill(burstBucket, () => openHistory({ dbName: burstBucket, maxEvents: size }), size, base, 1)
  const h = filled.h
  const failed: string[] = []
  const check = (what: string, pass: boolean) => pass || failed.push(what)
  check('burst fill', filled.ok && (await h.count()) === size)

  // Counts and queries on the filled store.
  const count = await timeRuns(async () => (await h.count()) === size)
  const win = { from: base + size / 2, to: base + size / 2 + size / 10 - 1 }
  const countTyped = await timeRuns(async () => (await h.count({ type: 'shop.t3', ...win })) === size / 10 / TYPES)
  const query = await timeRuns(typeTimeQuery(h, base, 1, size))
  // The unindexed scan: where alone, over everything (5 of every 1,000 events match). Load from
  // other processes can only lengthen a gap: the figure is the smallest of the runs' longest.
  const scans: Array<Awaited<ReturnType<typeof longestTask<TidingsEvent[]>>>> = []
  for (let r = 0; r < SCAN_RUNS; r++) scans.push(await longestTask(() => h.query({ where: { 'data.amount': ['>=', 995] } })))
  const scan = { longest: Math.min(...scans.map((x) => x.longest)), worst: Math.max(...scans.map((x) => x.longest)), total: median(scans.map((x) => x.total)) }
  // The control: the same heartbeat on an idle page for as long as a scan took. On a loaded
  // machine the OS alone leaves gaps this long (the renderer waits for a core).
  const idle = await longestTask(() => new Promise<void>((r) => setTimeout(r, scan.total)))
  const scanOk = scans.every((x) => x.value.length === (size / 1000) * 5 && x.value.every((e, k, a) => k === 0 || a[k - 1]!.timestamp <= e.timestamp))
  check('count()', count.ok)
  check('count({ type, from, to })', countTyped.ok)
  check('type + time query', query.ok)
  check('unindexed scan', scanOk)

  // The sparse database, in a storage bucket of its own like the burst one (each bucket is a
  // LevelDB of its own, so neither's compactions show in the other's size). Both are deleted
  // only at the end: deleting a database of a million events sets LevelDB compacting for
  // seconds, which no measurement should share.
  const sparseSpacing = 1000 / TYPES
  const sparseBucket = dbName(`sparse-${size}`)
  const sparse = await fill(sparseBucket, () => openHistory({ dbName: sparseBucket }), size, base, sparseSpacing)
  const hs = sparse.h
  // The two layouts' type + time queries alternate, run by run, in the same moments: measured
  // apart, the sparse one ran right after its import, while LevelDB still flushed and compacted
  // it, and the burst one a minute earlier (2.1-2.4x at 10k in some runs, none at 1M).
  const pair = { burst: [] as number[], sparse: [] as number[], ok: true }
  for (let r = 0; r < RUNS; r++) {
    for (const [kind, target, spacing] of [['burst', h, 1], ['sparse', hs, sparseSpacing]] as const) {
      const t1 = performance.now()
      pair.ok = (await typeTimeQuery(target, base, spacing, size)()) && pair.ok
      pair[kind].push(performance.now() - t1)
    }
  }
  const sparseQuery = { med: median(pair.sparse), ok: pair.ok }
  const burstAlongside = median(pair.burst)
  check('sparse fill', sparse.ok && (await hs.count()) === size)
  check('sparse query', sparseQuery.ok)

  // Acks with the store full: each persistent publishAsync waits for a transaction that evicts.
  const bus = createBus()
  h.attach(bus)
  const lat: number[] = []
  for (let i = 0; i < ACKS; i++) {
    const t0 = performance.now()
    await bus.publishAsync('live.ack', { i }, { persistent: true })
    lat.push(performance.now() - t0)
  }
  // Batched writes with the store full.
  const t0 = performance.now()
  for (let i = 0; i < BATCHED; i += BURST) {
    for (let j = i; j < i + BURST; j++) bus.publish('live.burst', payload(j), { persistent: true })
    await tick()
  }
  await h.flush()
  const persistRate = (BATCHED / (performance.now() - t0)) * 1000
  const evicted = h.stats().evicted
  check(`evicted ${evicted}`, evicted === ACKS + BATCHED)
  check('count after the live writes', (await h.count()) === size && (await h.count({ type: 'live.*' })) === Math.min(size, ACKS + BATCHED))

  // The floor: the same acks on an empty database without maxEvents (commit latency on disk),
  // next to the full one (same LevelDB).
  const h0 = openHistory({ dbName: dbName(`floor-${size}`) })
  const bus0 = createBus()
  h0.attach(bus0)
  const floor: number[] = []
  for (let i = 0; i < ACKS; i++) {
    const t1 = performance.now()
    await bus0.publishAsync('live.ack', { i }, { persistent: true })
    floor.push(performance.now() - t1)
  }
  check('floor acks', (await h0.count()) === ACKS)
  await dispose(h0)

  // The burst and sparse databases are closed now and their buckets deleted after the last size:
  // a deletion keeps the disk busy for seconds, which the next size's measurements should not
  // share.
  await hs.close()
  await h.close()

  const p50 = pct(lat, 0.5)
  const p99 = pct(lat, 0.99)
  const rows = [
    [`import, bursts (10 types, 1 event/ms)`, label, `${fmt(filled.rate)} events/s`, diskCell(filled)],
    [`persistent publishAsync ack, store full (maxEvents ${label}, each ack evicts)`, label, `p50 ${ms(p50)} ms · p99 ${ms(p99)} ms`, `${ACKS} acks, max ${ms(Math.max(...lat))} ms`],
    [`persistent publishAsync ack, empty database, no maxEvents (the floor)`, '0', `p50 ${ms(pct(floor, 0.5))} ms · p99 ${ms(pct(floor, 0.99))} ms`, `${ACKS} acks`],
    [`persist, batched (bursts of 500 per task), store full`, label, `${fmt(persistRate)} events/s`, `${fmt(BATCHED)} events, ${fmt(evicted)} evicted in all`],
    [`count()`, label, `${ms(count.med)} ms median`, `${RUNS} runs`],
    [`count({ type, from, to }) (index keys)`, label, `${ms(countTyped.med)} ms median`, `${fmt(size / 10 / TYPES)} counted`],
    [`query: exact type + time range, 1,000 results`, label, `${ms(query.med)} ms median`, `${RUNS} runs`],
    [`query: where only (unindexed scan, sliced)`, label, `${ms(scan.total)} ms total`, `longest task ${ms(scan.longest)} ms (worst run ${ms(scan.worst)}), ${fmt((size / 1000) * 5)} matched, ${SCAN_RUNS} runs`],
    [`(control: idle page for as long as one scan, same heartbeat)`, label, `longest gap ${ms(idle.longest)} ms`, ''],
    [`import, sparse (each type once per second)`, label, `${fmt(sparse.rate)} events/s`, `${diskCell(sparse)} (bursts ${ms(filled.bytes)})`],
    [`query: exact type + time range, 1,000 results, sparse`, label, `${ms(sparseQuery.med)} ms median`, `bursts ${ms(burstAlongside)} ms in the same runs, alternating`],
  ]
  return {
    rows,
    ok: failed.length === 0,
    failed,
    ackP99: p99,
    scanLongest: scan.longest,
    idleLongest: idle.longest,
    burstQuery: burstAlongside,
    sparseQuery: sparseQuery.med,
    burstBytes: filled.bytes,
    sparseBytes: sparse.bytes,
    sparseImport: sparse.rate,
    dispose: async () => {
      await hs.close()
      await h.close()
      await buckets!.delete(sparseBucket)
      await buckets!.delete(burstBucket)
    },
  }
}

/** Bytes per event on disk, what of it is still in LevelDB's log, and the old usage-delta figure. */
const diskCell = (f: Filled) =>
  `${ms(f.bytes)} B/event on disk (${ms(f.logBytes)} of it in LevelDB's log; storage.estimate() delta ${ms(f.estimateBytes)})`

const met = (b: boolean) => (b ? 'met' : 'NOT met')

export default async function scaleBench(): Promise<BenchTable> {
  const results: Array<[number, SizeResult]> = []
  for (const size of sizes) results.push([size, await measureSize(size)])
  for (const [, r] of results) await r.dispose()
  const top = results.at(-1)!
  const notes = results.flatMap(([size, r]) => [
    `${fmt(size)}: ack p99 ${ms(r.ackP99)} ms (target < 50): ${met(r.ackP99 < 50)}; unindexed scan longest task ${ms(r.scanLongest)} ms (target ~16; idle page ${ms(r.idleLongest)} ms): ${met(r.scanLongest <= 20)}; ` +
      `sparse/burst query ${(r.sparseQuery / r.burstQuery).toFixed(2)}x, bytes ${(r.sparseBytes / r.burstBytes).toFixed(2)}x (target <= 2): ${met(r.sparseQuery <= 2 * r.burstQuery && r.sparseBytes <= 2 * r.burstBytes)}; ` +
      `sparse import ${fmt(r.sparseImport)}/s (target >= 20,000): ${met(r.sparseImport >= 20_000)}` +
      (r.failed.length ? `; FAILED checks: ${r.failed.join(', ')}` : ''),
  ])
  return {
    title: `@tidings/history at scale, on-disk profile (headless Chromium), up to ${fmt(top[0])} stored events`,
    columns: ['case', 'stored', 'result', 'detail'],
    rows: results.flatMap(([, r]) => r.rows),
    notes: [
      ...notes,
      'Profile: a persistent Chromium context with a real --user-data-dir (LevelDB on disk). Bytes per event: each layout\'s database lives in a storage bucket of its own (navigator.storageBuckets: a LevelDB directory of its own, so no other database\'s writes, compactions or deletions land in its figure); the figure is what that directory grew by over the import, divided by the events: every file (compressed tables, the write-ahead log, the manifest), read by the runner in Node with the database closed and the directory unchanged for 1.5 s. What is still in the log is uncompressed and holds superseded writes too (all of it at 10k): it is what the disk holds until LevelDB writes the log out as a table. Beside it, the old figure: navigator.storage.estimate() usage after the import minus before, for the whole origin, which swung from -12 to 299 B/event over runs of one layout.',
      'Verified: counts after every phase (maxEvents held exactly, evictions counted), every query result (ids and order), the scan results in time order.',
    ],
    ok: results.every(([, r]) => r.ok),
  }
}
