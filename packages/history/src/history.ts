// openHistory(): wires the connection, the batched writer, capture from buses, queries, TTL sweep,
// replay and import/export into one History object.
import { compilePatterns, type Bus, type TidingsEvent } from '@tidings/core'
import { Observable, Subject, type Unsubscribable } from 'rxjs'
import { Capture } from './capture.js'
import { Connection, unwrapDb } from './connection.js'
import { HistoryClosedError, HistoryError, InvalidHistoryInputError } from './errors.js'
import { planQuery, type Plan } from './plan.js'
import { readQuery as readPages } from './glob.js'
import { makeToRecord } from './record.js'
import { compileRedact } from './redact.js'
import { checkSpeed, replayPages } from './replay.js'
import { countEvents, countExpired, deleteIds, sweepExpired } from './maintain.js'
import { STORE } from './schema.js'
import { checkFormat, parseImport, serialize } from './transfer.js'
import type { History, HistoryOptions, HistoryQuery, HistoryStats, ImportReport, ReplayOptions } from './types.js'
import { Writer, type Batch } from './writer.js'

const positive = (name: string, v: number | undefined, integer = false): number | undefined => {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw new InvalidHistoryInputError(name, v, `must be a positive ${integer ? 'integer' : 'number'}`)
  return v
}

/** Settles with the transaction. Never unhandled: a failed request may be awaited first. */
function txDone(tx: IDBTransaction): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    tx.addEventListener('complete', () => resolve())
    tx.addEventListener('abort', () => reject(tx.error ?? new Error('transaction aborted')))
  })
  done.catch(() => {})
  return done
}

export function openHistory(options: HistoryOptions = {}): History {
  if (typeof options !== 'object' || options === null) throw new InvalidHistoryInputError('openHistory options', options, 'must be an object')
  const dbName = options.dbName ?? 'tidings-history'
  if (typeof dbName !== 'string' || dbName.length === 0) throw new InvalidHistoryInputError('dbName', dbName, 'must be a non-empty string')
  const maxEvents = positive('maxEvents', options.maxEvents, true)
  const defaultTtlMs = positive('defaultTtlMs', options.defaultTtlMs)
  const sweepIntervalMs = positive('sweepIntervalMs', options.sweepIntervalMs) ?? 60_000
  const blockedTimeoutMs = options.blockedTimeoutMs ?? 5000
  if (typeof blockedTimeoutMs !== 'number' || !(blockedTimeoutMs >= 0))
    throw new InvalidHistoryInputError('blockedTimeoutMs', options.blockedTimeoutMs, 'must be a number >= 0')
  const durability = options.durability ?? 'default'
  if (!['default', 'strict', 'relaxed'].includes(durability))
    throw new InvalidHistoryInputError('durability', durability, "must be 'default', 'strict' or 'relaxed'")
  const record = options.record ?? []
  const shouldRecord = (typeof record === 'string' ? [record] : record).length === 0 ? () => false : compilePatterns(record)
  const redact = compileRedact(options.redact)
  if (typeof indexedDB === 'undefined')
    throw new HistoryError('IndexedDB is not available in this context; @tidings/history needs a browser window or worker.')

  const errors = new Subject<HistoryError>()
  const emit = (e: HistoryError) => errors.next(e)
  const stats: HistoryStats = { written: 0, pending: 0, failed: 0, duplicates: 0, transactions: 0, evicted: 0, expired: 0 }
  const conn = new Connection(dbName, blockedTimeoutMs, emit)
  const writer = new Writer(conn, { dbName, maxEvents, durability, stats, onError: emit })
  conn.beforeClose = (db) => writer.startNow(db)
  const toRecord = makeToRecord(redact, defaultTtlMs)

  let refused: { error: HistoryClosedError; batch: Batch } | undefined
  const refusedBatch = (): Batch | undefined => {
    const error = conn.refused()
    if (!error) return undefined
    if (refused?.error !== error) {
      let reject!: (e: unknown) => void
      const done = new Promise<void>((_, rej) => (reject = rej))
      done.catch(() => {})
      reject(error)
      refused = { error, batch: { records: [], failures: undefined, done, settled: true, resolve() {}, reject() {} } }
    }
    stats.failed++
    return refused.batch
  }
  const capture = new Capture({ writer, shouldRecord, toRecord, stats, refusedBatch })
  const attachments = new Set<Unsubscribable>()
  let closed = false

  const getDb = async () => unwrapDb(await conn.get())
  const ensureOpen = () => {
    if (closed) throw new HistoryClosedError(dbName, 'closed')
  }
  const collect = async (plan: Plan): Promise<TidingsEvent[]> => {
    const out: TidingsEvent[] = []
    for await (const page of readPages(getDb, plan)) for (const e of page) out.push(e)
    return out
  }

  const ready = conn.get().then(() => {})
  ready.catch(() => {})

  const sweep = async (): Promise<number> => {
    ensureOpen()
    let total = 0
    for (;;) {
      const db = await getDb()
      const tx = db.transaction(STORE, 'readwrite')
      const done = txDone(tx)
      const { expired, more } = await sweepExpired(tx.objectStore(STORE), Date.now(), 200)
      await done
      total += expired
      if (!more) break
    }
    stats.expired += total
    return total
  }
  const runSweep = () => {
    if (closed || conn.status !== 'open') return
    sweep().catch((e: unknown) => emit(e instanceof HistoryError ? e : new HistoryError(`TTL sweep of "${dbName}" failed: ${String(e)}`, { cause: e })))
  }
  const sweepTimer = setInterval(runSweep, sweepIntervalMs)
  void ready.then(runSweep, () => {})

  // A tab going away: start the open batch now (the browser usually lets a started transaction
  // finish). Acknowledged events never depend on this: they were committed before the ack.
  const onPageHide = () => writer.startNow()
  globalThis.addEventListener?.('pagehide', onPageHide)

  const history: History = {
    dbName,
    get status() {
      return closed ? 'closed' : conn.status
    },
    ready,
    errors$: errors.asObservable(),

    attach(bus: Bus): Unsubscribable {
      ensureOpen()
      const a = capture.attach(bus)
      const handle = {
        unsubscribe: () => {
          attachments.delete(handle)
          a.unsubscribe()
        },
      }
      attachments.add(handle)
      return handle
    },

    flush: () => writer.flush(),

    async query(q?: HistoryQuery) {
      ensureOpen()
      return collect(planQuery(q))
    },

    stream(q?: HistoryQuery): Observable<TidingsEvent> {
      return new Observable<TidingsEvent>((sub) => {
        let stopped = false
        ;(async () => {
          ensureOpen()
          for await (const page of readPages(getDb, planQuery(q))) {
            for (const e of page) {
              if (stopped) return
              sub.next(e)
            }
            if (stopped) return
          }
          sub.complete()
        })().catch((e: unknown) => sub.error(e))
        return () => {
          stopped = true
        }
      })
    },

    async count(q?: HistoryQuery) {
      ensureOpen()
      const plan = planQuery(q)
      if (plan.everything && plan.limit === Number.POSITIVE_INFINITY) {
        const store = (await getDb()).transaction(STORE, 'readonly').objectStore(STORE)
        const [all, expired] = await Promise.all([countEvents(store), countExpired(store, Date.now())])
        return all - expired
      }
      let n = 0
      for await (const page of readPages(getDb, plan)) n += page.length
      return n
    },

    async clear(q?: HistoryQuery) {
      ensureOpen()
      await writer.flush().catch(() => {})
      const plan = planQuery(q)
      const db = await getDb()
      if (plan.everything && plan.limit === Number.POSITIVE_INFINITY) {
        const tx = db.transaction(STORE, 'readwrite')
        const done = txDone(tx)
        const store = tx.objectStore(STORE)
        const n = await countEvents(store)
        store.clear()
        await done
        return n
      }
      const ids = (await collect(plan)).map((e) => e.id)
      const tx = (await getDb()).transaction(STORE, 'readwrite')
      const done = txDone(tx)
      const n = await deleteIds(tx.objectStore(STORE), ids)
      await done
      return n
    },

    async replay(bus: Bus, q?: HistoryQuery, opts?: ReplayOptions) {
      ensureOpen()
      checkSpeed(opts?.speed)
      // Original order is oldest first, whatever q.order says.
      return replayPages(bus, readPages(getDb, planQuery({ ...q, order: 'asc' })), opts)
    },

    async export(opts?: HistoryQuery & { format?: 'jsonl' | 'json' }) {
      ensureOpen()
      const { format, ...q } = opts ?? {}
      return serialize(await collect(planQuery(q)), checkFormat(format))
    },

    async import(input: string | readonly unknown[]): Promise<ImportReport> {
      ensureOpen()
      const { events, rejected } = parseImport(input)
      const now = Date.now()
      let expired = 0
      let imported = 0
      let last: Batch | undefined
      for (const e of events) {
        const r = toRecord(e)
        if (r.expiresAt !== undefined && r.expiresAt <= now) {
          expired++
          continue
        }
        last = writer.enqueue(r)
        imported++
      }
      if (last) await writer.flush()
      return { imported, expired, rejected }
    },

    sweep,

    stats: () => ({ ...stats }),

    async close() {
      if (closed) return
      for (const a of [...attachments]) a.unsubscribe()
      await writer.flush().catch(() => {})
      closed = true
      clearInterval(sweepTimer)
      globalThis.removeEventListener?.('pagehide', onPageHide)
      conn.close()
      errors.complete()
    },
  }
  return history
}
