// openHistory(): wires the connection, the batched writer, capture from buses, queries, TTL sweep,
// replay and import/export into one History object.
import { compilePatterns, emitSystemEvent, type EventMap, type EventMapOf, type TidingsEvent } from '@tidings/core'
import { Observable, Subject } from 'rxjs'
import { createCapture, type Attachment } from './capture.js'
import { connect } from './connection.js'
import { dataError, HistoryClosedError, HistoryDataError, HistoryError, InvalidHistoryInputError } from './errors.js'
import { bump, META } from './meta.js'
import type { Plan } from './plan.js'
import { isExpired, makeToRecord } from './record.js'
import { compileRedact } from './redact.js'
import { request, txDone } from './requests.js'
import type { Slicer } from './slice.js'
import { STORE } from './schema.js'
import type { History, HistoryOptions, HistoryQuery, HistoryStats, ImportReport, ReadOptions } from './types.js'
import { createWriter, type Batch } from './writer.js'

const positive = (name: string, v: number | undefined, integer = false): number | undefined => {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    throw new InvalidHistoryInputError(name, v, `must be a positive ${integer ? 'integer' : 'number'}`)
  return v
}

type Reads = typeof import('./reads.js')

/** History as implemented: query() and stream() give envelopes, typed by the caller's event map
 *  only in the returned History<M>. */
type UntypedHistory = Omit<History, 'query' | 'stream'> & {
  query(q?: HistoryQuery, opts?: ReadOptions): Promise<TidingsEvent[]>
  stream(q?: HistoryQuery, opts?: Pick<ReadOptions, 'onProgress'>): Observable<TidingsEvent>
}

export function openHistory<M extends EventMapOf<M> = EventMap>(options: HistoryOptions = {}): History<M> {
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
  /** The buses attached now, told about errors by '$tidings.history.error'. */
  const buses = new Set<object>()
  // Every HistoryDataError (a write, a query, an import, an export) is counted here.
  const emit = (e: HistoryError) => {
    if (e instanceof HistoryDataError) stats.dataErrors++
    errors.next(e)
    // And one '$tidings.history.error' on each attached bus (built only if someone listens).
    for (const bus of buses) emitSystemEvent(bus, '$tidings.history.error', () => ({ db: dbName, name: e.name, message: e.message }))
  }
  const stats: HistoryStats = { written: 0, pending: 0, failed: 0, duplicates: 0, transactions: 0, evicted: 0, expired: 0, dataErrors: 0 }
  const conn = connect(dbName, blockedTimeoutMs, emit, (db) => writer.startNow(db))
  const writer = createWriter(conn, { dbName, maxEvents, durability, stats, onError: emit })
  const toRecord = makeToRecord(redact, defaultTtlMs)
  const attach = createCapture({ dbName, writer, conn, shouldRecord, toRecord, stats, onError: emit })
  const attachments = new Set<Attachment>()
  /** Detaches still draining (publishAsync calls under way when they started). */
  const drains = new Set<Promise<void>>()
  let closing: Promise<void> | undefined

  const getDb = () => conn.get()
  const ensureOpen = () => {
    if (closing) throw new HistoryClosedError(dbName, 'closed')
  }
  const detach = (a: Attachment) => {
    if (!attachments.delete(a)) return
    const p = a.detach()
    drains.add(p)
    void p.then(() => drains.delete(p))
  }
  /** Queries, counts, replay, export, import parsing and the sweep: loaded on first use. */
  let reads: Promise<Reads> | undefined
  // A chunk that failed to load (a network blip) is asked for again on the next read.
  const load = () =>
    (reads ??= import('./reads.js').catch((err: unknown) => {
      reads = undefined
      throw err
    }))
  /** A where-condition that cannot read one event (a getter in the data) skips that event alone. */
  const plan = (m: Reads, q: HistoryQuery | undefined): Plan => m.planQuery(q, (r, f) => emit(dataError(r as TidingsEvent, f, 'was skipped by a query')))
  const read = (m: Reads, q: HistoryQuery | undefined, sl?: Slicer) => m.readQuery(getDb, plan(m, q), sl)
  const collect = async (q: HistoryQuery | undefined, opts?: ReadOptions): Promise<TidingsEvent[]> => {
    const m = await load()
    const out: TidingsEvent[] = []
    for await (const page of read(m, q, m.slicer(opts))) for (const e of page) out.push(e)
    return out
  }
  /** Runs `fn` on the segments store in a readwrite transaction; the maintained count goes down
   *  by what `fn` resolves with (the events it removed; Infinity: all) in the same transaction.
   *  Resolves with how many were removed, after the commit. */
  const writing = async (fn: (store: IDBObjectStore) => Promise<number>): Promise<number> => {
    const tx = (await getDb()).transaction([STORE, META], 'readwrite')
    const done = txDone(tx)
    const removed = await fn(tx.objectStore(STORE))
    const before = await bump(tx, -removed)
    await done
    return Math.min(removed, before)
  }

  const ready = conn.get().then(() => {})
  ready.catch(() => {})

  const sweep = async (): Promise<number> => {
    ensureOpen()
    const { sweepExpired } = await load()
    let total = 0
    for (let more = true; more; ) {
      let again = false
      total += await writing(async (store) => {
        const r = await sweepExpired(store, Date.now(), 200)
        again = r.more
        return r.expired
      })
      more = again
    }
    stats.expired += total
    return total
  }
  /** Whether a segment holds an expired event (one `exp` index count): the sweep's module is
   *  loaded only then. */
  const anyExpired = async () => (await request((await getDb()).transaction(STORE).objectStore(STORE).index('exp').count(IDBKeyRange.upperBound(Date.now())))) > 0
  const runSweep = () => {
    if (closing || conn.status !== 'open') return
    anyExpired().then((yes) => (yes ? sweep() : 0)).catch((e: unknown) => emit(e instanceof HistoryError ? e : new HistoryError(`TTL sweep of "${dbName}" failed: ${String(e)}`, { cause: e })))
  }
  const sweepTimer = setInterval(runSweep, sweepIntervalMs)
  void ready.then(runSweep, () => {})

  // A tab going away: start the open batch now (the browser usually lets a started transaction
  // finish). Acknowledged events never depend on this: they were committed before the ack.
  const onPageHide = () => writer.startNow()
  globalThis.addEventListener?.('pagehide', onPageHide)

  const history: UntypedHistory = {
    dbName,
    get status() {
      return closing ? 'closed' : conn.status
    },
    ready,
    errors$: errors.asObservable(),

    attach(bus) {
      ensureOpen()
      const a = attach(bus)
      attachments.add(a)
      buses.add(bus)
      return {
        unsubscribe: () => {
          buses.delete(bus)
          detach(a)
        },
      }
    },

    flush: () => writer.flush(),

    async query(q, opts) {
      ensureOpen()
      return collect(q, opts)
    },

    stream(q, opts) {
      return new Observable<TidingsEvent>((sub) => {
        let stopped = false
        ;(async () => {
          ensureOpen()
          const m = await load()
          for await (const page of read(m, q, m.slicer(opts))) {
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

    async count(q, opts) {
      ensureOpen()
      const m = await load()
      const p = plan(m, q)
      const now = Date.now()
      const fast = await m.countFromIndexes(await getDb(), p, now)
      if (fast !== undefined) return fast
      let n = 0
      for await (const page of m.readQuery(getDb, p, m.slicer(opts), now)) n += page.length
      return n
    },

    async clear(q) {
      ensureOpen()
      const m = await load()
      await writer.flush().catch(() => {})
      if (m.planQuery(q).everything)
        return writing(async (store) => (store.clear(), Infinity))
      const ids = (await collect(q)).map((e) => e.id)
      return writing((store) => m.deleteIds(store, ids))
    },

    async replay(bus, q, opts) {
      ensureOpen()
      const m = await load()
      const speed = m.checkSpeed(opts?.speed)
      // Original order is oldest first, whatever q.order says.
      return m.replayPages(bus, read(m, { ...q, order: 'asc' }), speed, opts?.signal)
    },

    async export(opts) {
      ensureOpen()
      const m = await load()
      const { format, ...q } = opts ?? {}
      const f = m.checkFormat(format)
      return m.serialize(await collect(q), f, emit)
    },

    async import(input): Promise<ImportReport> {
      ensureOpen()
      const { events, rejected, legacy } = (await load()).parseImport(input)
      const now = Date.now()
      let expired = 0
      const queued: Array<[number, string, Batch]> = []
      for (const { index, event } of events) {
        try {
          const r = toRecord(event)
          if (isExpired(r, now)) expired++
          else queued.push([index, r.id, writer.enqueue(r)])
        } catch (err) {
          // The redaction read a getter that threw (an array of live objects).
          const e = dataError(event, err, 'was not imported')
          emit(e)
          rejected.push({ index, reason: e.message })
        }
      }
      // Each record's own outcome: its batch failed, or its own put (an unclonable value). One
      // await per batch (records of one batch are consecutive).
      let imported = 0
      let last: Batch | undefined
      let batchError: HistoryError | undefined
      for (const [index, id, b] of queued) {
        if (b !== last) batchError = await (last = b).done.then(() => undefined, (e: HistoryError) => e)
        const failure = batchError ?? b.failures?.get(id)
        if (failure) rejected.push({ index, reason: failure.message })
        else imported++
      }
      rejected.sort((a, b) => a.index - b.index)
      return { imported, expired, rejected, legacy }
    },

    sweep,

    stats: () => ({ ...stats }),

    close() {
      return (closing ??= (async () => {
        for (const a of [...attachments]) detach(a)
        // Start what is pending now (a closing tab may not run another task); then wait for the
        // publishAsync calls already under way to reach the history, and for every commit.
        writer.startNow()
        await Promise.all(drains)
        await writer.flush().catch(() => {})
        clearInterval(sweepTimer)
        globalThis.removeEventListener?.('pagehide', onPageHide)
        conn.close()
        errors.complete()
      })())
    },
  }
  // Typed by the app's event map at compile time only: what is read back is not validated again.
  return history as unknown as History<M>
}
