// Batched writes. Events handed over in the same task join one batch (one transaction), stored as
// segments (one record per type per 1 s bucket, see segment.ts); while a transaction is in flight
// the next batch keeps growing, so under sustained load batches grow by themselves and the number
// of transactions and records stays small. Every event of a batch shares the
// batch's promise: publishAsync of a persistent event awaits it, so it resolves only after commit.
import { toError } from '@tidings/core'
import { unwrapDb, type Connection } from './connection.js'
import { HistoryError, HistoryQuotaError, HistoryWriteError } from './errors.js'
import { countEvents, evictOldest } from './maintain.js'
import { request } from './reader.js'
import { INDEX, STORE, TYPES, type StoredRecord } from './schema.js'
import { buildSegments, makeSegment, type Segment } from './segment.js'
import type { HistoryStats } from './types.js'

export interface Batch {
  readonly records: StoredRecord[]
  /** Records whose own put failed (e.g. unclonable data) while the rest committed. */
  failures: Map<string, HistoryError> | undefined
  /** Resolves on commit, rejects with the transaction's error. Never unhandled. */
  readonly done: Promise<void>
  resolve(): void
  reject(e: HistoryError): void
  settled: boolean
}

export interface WriterOptions {
  dbName: string
  maxEvents: number | undefined
  durability: IDBTransactionDurability
  stats: HistoryStats
  onError(e: HistoryError): void
}

/** Parallel id lookups per round when a segment collides with stored ids. */
const LOOKUPS_PER_ROUND = 16

function newBatch(): Batch {
  let resolve!: () => void
  let reject!: (e: HistoryError) => void
  const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
  done.catch(() => {})
  const b: Batch = {
    records: [],
    failures: undefined,
    done,
    settled: false,
    resolve: () => ((b.settled = true), resolve()),
    reject: (e) => ((b.settled = true), reject(e)),
  }
  return b
}

export class Writer {
  private next: Batch | undefined
  private readonly unsettled = new Set<Batch>()
  private inFlight = 0
  private scheduled = false
  /** Types this writer has already listed in the types store (bounded: a cache, not the truth). */
  private readonly knownTypes = new Set<string>()
  private knownFor: IDBDatabase | undefined

  private readonly conn: Connection
  private readonly opts: WriterOptions
  constructor(
    conn: Connection,
    opts: WriterOptions,
  ) {
    this.conn = conn
    this.opts = opts
  }

  /** Adds a record to the open batch and returns that batch. */
  enqueue(record: StoredRecord): Batch {
    let b = this.next
    if (!b) {
      b = this.next = newBatch()
      this.unsettled.add(b)
    }
    b.records.push(record)
    this.opts.stats.pending++
    if (!this.scheduled && this.inFlight === 0) {
      this.scheduled = true
      queueMicrotask(this.run)
    }
    return b
  }

  /** Waits for every batch open or in flight now; rejects with the first failure among them. */
  async flush(): Promise<void> {
    const batches = [...this.unsettled]
    if (this.next && !this.scheduled && this.inFlight === 0) this.run()
    const results = await Promise.allSettled(batches.map((b) => b.done))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
    for (const b of batches) if (b.failures) throw b.failures.values().next().value
  }

  /** Starts the open batch on `db` right now, even with another transaction in flight (used
   *  before the connection closes for another tab, and on pagehide). */
  startNow(db?: IDBDatabase): void {
    const target = db ?? this.conn.current()
    const b = this.next
    if (!b || !target) return
    this.next = undefined
    this.write(target, b)
  }

  private readonly run = (): void => {
    this.scheduled = false
    if (this.inFlight > 0) return
    const b = this.next
    if (!b) return
    this.next = undefined
    const db = this.conn.current()
    if (db) return this.write(db, b)
    this.inFlight++
    this.conn.get().then(
      (dbw) => {
        this.inFlight--
        this.write(this.conn.current() ?? unwrapDb(dbw), b)
      },
      (e: unknown) => {
        this.inFlight--
        this.fail(b, e as HistoryError)
        this.afterBatch()
      },
    )
  }

  private write(db: IDBDatabase, b: Batch, retried = false): void {
    let tx: IDBTransaction
    try {
      tx = db.transaction([STORE, TYPES], 'readwrite', { durability: this.opts.durability })
    } catch (e) {
      // The connection closed under us (versionchange, delete, terminated): let the connection
      // reopen or refuse, and retry this batch once.
      this.inFlight++
      const retry = (err: unknown) => {
        this.inFlight--
        this.fail(b, err instanceof HistoryError ? err : new HistoryWriteError(this.opts.dbName, b.records.length, toError(err).message, { cause: err }))
        this.afterBatch()
      }
      if (retried) return retry(e)
      this.conn.get().then(() => {
        this.inFlight--
        const again = this.conn.current()
        if (again) this.write(again, b, true)
        else retry(e)
      }, retry)
      return
    }
    this.inFlight++
    const store = tx.objectStore(STORE)
    const { segments } = buildSegments(b.records)
    const types = new Set<string>()
    const puts: Array<Promise<void>> = []
    for (const seg of segments) {
      types.add(seg.type)
      puts.push(this.put(store, seg, b))
    }
    const typeStore = tx.objectStore(TYPES)
    // The cache is only valid for the database it was filled from (a deleted database comes back empty).
    if (this.knownFor !== db || this.knownTypes.size > 10_000) {
      this.knownTypes.clear()
      this.knownFor = db
    }
    for (const t of types) if (!this.knownTypes.has(t)) typeStore.put(1, t)
    const max = this.opts.maxEvents
    let evicted = 0
    if (max !== undefined) {
      // After every put (dedup fallbacks included), so the count is exact.
      Promise.all(puts)
        .then(() => countEvents(store))
        .then(async (n) => {
          if (n > max) evicted = await evictOldest(store, n - max)
        })
        .catch(() => {}) // a failed request aborts the transaction; the abort handler reports it
    }
    tx.addEventListener('complete', () => {
      this.inFlight--
      const s = this.opts.stats
      const failed = b.failures?.size ?? 0
      s.pending -= b.records.length
      s.written += b.records.length - failed
      s.failed += failed
      s.transactions++
      s.evicted += evicted
      for (const t of types) this.knownTypes.add(t)
      if (b.failures) for (const e of new Set(b.failures.values())) this.opts.onError(e)
      this.unsettled.delete(b)
      // Acks keep settled batches reachable (capture's seen map): drop the records themselves.
      b.records.length = 0
      b.resolve()
      this.afterBatch()
    })
    tx.addEventListener('abort', () => {
      this.inFlight--
      const err = tx.error
      this.fail(
        b,
        err?.name === 'QuotaExceededError'
          ? new HistoryQuotaError(this.opts.dbName, b.records.length, { cause: err })
          : new HistoryWriteError(this.opts.dbName, b.records.length, err ? `${err.name}: ${err.message}` : 'the transaction was aborted', { cause: err }),
      )
      this.afterBatch()
    })
  }

  /** Puts one segment. Resolves when it is stored or its events are marked failed. A segment whose
   *  ids collide with stored events (another context stored them first) fails alone with
   *  ConstraintError (prevented, so the transaction goes on) and is put again without those. */
  private put(store: IDBObjectStore, seg: Segment, b: Batch): Promise<void> {
    return new Promise((resolve) => {
      let req: IDBRequest
      try {
        req = store.put(seg)
      } catch (e) {
        return resolve(this.putFailed(store, seg, b, e))
      }
      req.addEventListener('success', () => resolve())
      req.addEventListener('error', (ev) => {
        if (req.error?.name !== 'ConstraintError') return resolve() // aborts the transaction
        ev.preventDefault()
        ev.stopPropagation()
        resolve(this.putNew(store, seg, b))
      })
    })
  }

  /** The segment's events that are not stored yet, put as a new segment. Each lookup returns the
   *  stored segment holding an id, which rules out all of that segment's ids at once: when another
   *  context stored the same events (the usual cause), a few lookups settle a whole segment. */
  private async putNew(store: IDBObjectStore, seg: Segment, b: Batch): Promise<void> {
    const index = store.index(INDEX.ids)
    const remaining = new Set(seg.ids)
    const fresh = new Set<string>()
    while (remaining.size > 0) {
      const probe: string[] = []
      for (const id of remaining) {
        probe.push(id)
        if (probe.length === LOOKUPS_PER_ROUND) break
      }
      const found = await Promise.all(probe.map((id) => request(index.get(id)) as Promise<Segment | undefined>))
      for (let i = 0; i < probe.length; i++) {
        const stored = found[i]
        if (stored) for (const id of stored.ids) remaining.delete(id)
        else if (remaining.delete(probe[i]!)) fresh.add(probe[i]!)
      }
    }
    const events = seg.events.filter((e) => fresh.has(e.id))
    if (events.length > 0) await this.put(store, makeSegment(events), b)
  }

  /** put() threw: the segment could not be cloned (one bad event fails alone; the rest are put),
   *  or the browser refused it (quota): every event of the segment fails with one error. */
  private putFailed(store: IDBObjectStore, seg: Segment, b: Batch, e: unknown): Promise<void> | undefined {
    const failures = (b.failures ??= new Map())
    if ((e as { name?: unknown } | null)?.name === 'DataCloneError' && seg.n > 0) {
      const good: StoredRecord[] = []
      for (const r of seg.events) {
        try {
          structuredClone(r)
          good.push(r)
        } catch (err) {
          failures.set(r.id, new HistoryWriteError(this.opts.dbName, 1, `event ${r.id} (${r.type}): ${toError(err).message}`, { cause: err }))
        }
      }
      if (good.length > 0 && good.length < seg.n) return this.put(store, makeSegment(good), b)
      if (good.length === 0) return undefined
    }
    const err =
      (e as { name?: unknown } | null)?.name === 'QuotaExceededError'
        ? new HistoryQuotaError(this.opts.dbName, seg.n, { cause: e })
        : new HistoryWriteError(this.opts.dbName, seg.n, `${seg.n} event(s) of type ${seg.type}: ${toError(e).message}`, { cause: e })
    for (const r of seg.events) failures.set(r.id, err)
    return undefined
  }

  private fail(b: Batch, e: HistoryError): void {
    this.opts.stats.pending -= b.records.length
    this.opts.stats.failed += b.records.length
    this.unsettled.delete(b)
    b.records.length = 0
    b.reject(e)
    this.opts.onError(e)
  }

  private afterBatch(): void {
    if (this.next && !this.scheduled && this.inFlight === 0) {
      this.scheduled = true
      queueMicrotask(this.run)
    }
  }
}
