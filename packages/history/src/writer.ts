// Batched writes. Events handed over in the same task join one batch (one transaction), stored as
// segments (one record per type per 1 s bucket, see segment.ts); while a transaction is in flight
// the next batch keeps growing, so under sustained load batches grow by themselves and the number
// of transactions and records stays small. Every event of a batch shares the
// batch's promise: publishAsync of a persistent event awaits it, so it resolves only after commit.
import type { Connection } from './connection.js'
import { describeError, toError } from '@tidings/core/bridge'
import { HistoryDataError, HistoryError, HistoryQuotaError, HistoryWriteError } from './errors.js'
import { evictOldest } from './evict.js'
import { lastKey, lowerFloor, META, readMeta, setMeta } from './meta.js'
import { putRecords, putSegment, type OnThrow } from './put.js'
import type { StoredRecord } from './record.js'
import { STORE, TYPES } from './schema.js'
import { isWide, makeSegment } from './segment.js'
import type { HistoryStats } from './types.js'

export interface Batch {
  readonly records: StoredRecord[]
  /** Records whose own put failed (e.g. unclonable data) while the rest committed. */
  failures: Map<string, HistoryError> | undefined
  /** Resolves on commit, rejects with the transaction's error. Never unhandled. */
  readonly done: Promise<void>
  resolve(): void
  reject(e: HistoryError): void
}

export interface WriterOptions {
  dbName: string
  maxEvents: number | undefined
  durability: IDBTransactionDurability
  stats: HistoryStats
  onError(e: HistoryError): void
}

export interface Writer {
  /** Adds a record to the open batch and returns that batch. */
  enqueue(record: StoredRecord): Batch
  /** Waits for every batch open or in flight now; rejects with the first failure among them. */
  flush(): Promise<void>
  /** Starts the open batch on `db` right now, even with another transaction in flight (used
   *  before the connection closes for another tab, and on pagehide). */
  startNow(db?: IDBDatabase): void
}

export function newBatch(): Batch {
  let resolve!: () => void
  let reject!: (e: HistoryError) => void
  const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)))
  done.catch(() => {})
  return { records: [], failures: undefined, done, resolve, reject }
}

export function createWriter(conn: Connection, { dbName, maxEvents, durability, stats, onError }: WriterOptions): Writer {
  let next: Batch | undefined
  const unsettled = new Set<Batch>()
  let inFlight = 0
  let scheduled = false
  /** Types this writer has already listed in the types store (bounded: a cache, not the truth). */
  const knownTypes = new Set<string>()
  let knownFor: IDBDatabase | undefined

  const idle = () => next !== undefined && !scheduled && inFlight === 0
  const schedule = () => {
    if (idle()) {
      scheduled = true
      queueMicrotask(run)
    }
  }

  const run = (): void => {
    scheduled = false
    const b = next
    if (inFlight > 0 || !b) return
    next = undefined
    const db = conn.current()
    if (db) return write(db, b)
    inFlight++
    conn.get().then(
      (opened) => {
        inFlight--
        write(conn.current() ?? opened, b)
      },
      (e: unknown) => {
        inFlight--
        settle(b, e as HistoryError)
      },
    )
  }

  /** Counts the batch out of `pending` and resolves it, or rejects it with `error` (every event
   *  failed); then starts the next batch if one is waiting. */
  const settle = (b: Batch, error?: HistoryError) => {
    const n = b.records.length
    const failed = error ? n : (b.failures?.size ?? 0)
    stats.pending -= n
    stats.written += n - failed
    stats.failed += failed
    if (!error) {
      stats.transactions++
      for (const e of new Set(b.failures?.values())) onError(e)
    }
    unsettled.delete(b)
    // Acks keep settled batches reachable (capture's seen map): drop the records themselves.
    b.records.length = 0
    if (!error) b.resolve()
    else {
      b.reject(error)
      onError(error)
    }
    schedule()
  }

  /** The error for `n` events that the browser refused: quota, or anything else. */
  const refusedError = (e: unknown, n: number, detail: string) =>
    (e as Error | null)?.name === 'QuotaExceededError' ? new HistoryQuotaError(dbName, n, { cause: e }) : new HistoryWriteError(dbName, n, detail, { cause: e })

  const write = (db: IDBDatabase, b: Batch, retried = false): void => {
    let tx: IDBTransaction
    try {
      tx = db.transaction([STORE, TYPES, META], 'readwrite', { durability })
    } catch (e) {
      // The connection closed under us (versionchange, delete, terminated): let the connection
      // reopen or refuse, and retry this batch once.
      const giveUp = (err: unknown) =>
        settle(b, err instanceof HistoryError ? err : new HistoryWriteError(dbName, b.records.length, toError(err).message, { cause: err }))
      if (retried) return giveUp(e)
      inFlight++
      conn.get().then(
        () => {
          inFlight--
          const again = conn.current()
          if (again) write(again, b, true)
          else giveUp(e)
        },
        (err: unknown) => {
          inFlight--
          giveUp(err)
        },
      )
      return
    }
    inFlight++
    const store = tx.objectStore(STORE)
    // The cache is only valid for the database it was filled from (a deleted database comes back empty).
    if (knownFor !== db || knownTypes.size > 10_000) {
      knownTypes.clear()
      knownFor = db
    }
    /** A put threw. Unless the browser refused it (quota), an event could not be cloned (a
     *  function, a getter that throws, a revoked Proxy): each event is cloned alone, the ones
     *  that fail are refused with a HistoryDataError naming the path, the rest are put. If every
     *  event clones, the segment's events fail with one error. */
    const onThrow: OnThrow = (seg, e) => {
      const failures = (b.failures ??= new Map())
      if ((e as Error | null)?.name !== 'QuotaExceededError') {
        const good = seg.events.filter((r) => {
          try {
            structuredClone(r)
            return true
          } catch (err) {
            const path = unclonable(r, '') || 'event'
            failures.set(r.id, new HistoryDataError(r, path, `was not stored: ${path} could not be cloned (${describeError(err)})`, { cause: err }))
            return false
          }
        })
        if (good.length < seg.n) return good.length > 0 ? putSegment(store, makeSegment(good, undefined, isWide(seg.bucket)), onThrow) : 0
      }
      const err = refusedError(e, seg.n, `${seg.n} event(s) of type ${seg.type}: ${describeError(e)}`)
      for (const r of seg.events) failures.set(r.id, err)
      return 0
    }
    // Small batches (events arriving one or a few per task) merge into small stored segments.
    const { types, done, low } = putRecords(store, tx.objectStore(TYPES), b.records, knownTypes, onThrow, true)
    let evicted = 0
    let thrown: unknown
    // After every put (dedup fallbacks included), the maintained count (meta.ts) moves by what
    // was stored, and maxEvents evicts the excess: O(1) plus O(evicted), whatever is stored.
    done
      .then(async (added) => {
        const [m, k] = await Promise.all([readMeta(tx), lastKey(store)])
        let n = (m?.n ?? 0) + added
        let floor = lowerFloor([m?.b ?? -Infinity, m?.t ?? -Infinity], low)
        if (maxEvents !== undefined && n > maxEvents) {
          const r = await evictOldest(store, n - maxEvents, floor)
          n -= evicted = r.evicted
          floor = r.floor
        }
        setMeta(tx, { n, k: Math.max(m?.k ?? 0, k), b: floor[0], t: floor[1] })
      })
      .catch((e: unknown) => {
        // A failed request aborts the transaction by itself (the abort handler reports it);
        // anything else (a put of the count that throws, e.g. for quota) must not commit puts
        // without their count.
        thrown = e
        try {
          tx.abort()
        } catch {
          // already aborting
        }
      })
    tx.addEventListener('complete', () => {
      inFlight--
      stats.evicted += evicted
      for (const t of types) knownTypes.add(t)
      settle(b)
    })
    tx.addEventListener('abort', () => {
      inFlight--
      const err = tx.error ?? (thrown as DOMException | undefined)
      settle(b, refusedError(err, b.records.length, err ? `${err.name}: ${err.message}` : 'the transaction was aborted'))
    })
  }

  return {
    enqueue(record) {
      const b = (next ??= newBatch())
      unsettled.add(b)
      b.records.push(record)
      stats.pending++
      schedule()
      return b
    },

    async flush() {
      const batches = [...unsettled]
      if (idle()) run()
      const results = await Promise.allSettled(batches.map((b) => b.done))
      const failed = results.find((r) => r.status === 'rejected')
      if (failed) throw failed.reason
      for (const b of batches) if (b.failures) throw b.failures.values().next().value
    },

    startNow(db) {
      const target = db ?? conn.current()
      const b = next
      if (!b || !target) return
      next = undefined
      write(target, b)
    },
  }
}

/** Where in `v` (which structured clone refuses) the refused value is: the first own property that
 *  fails alone, followed down ('data.items[2].cb'). A Map, a Set or a Proxy is named as a whole. */
function unclonable(v: unknown, path: string, seen = new Set<unknown>()): string {
  if (typeof v === 'object' && v !== null && !seen.has(v)) {
    seen.add(v)
    let keys: string[] = []
    try {
      keys = Object.keys(v)
    } catch {
      // a revoked Proxy: the value itself
    }
    for (const k of keys) {
      const at = Array.isArray(v) ? `${path}[${k}]` : path ? `${path}.${k}` : k
      let child: unknown
      try {
        child = (v as Record<string, unknown>)[k]
        structuredClone(child)
      } catch {
        return unclonable(child, at, seen)
      }
    }
  }
  return path
}
