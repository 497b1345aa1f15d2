// Public types of @tidings/history.
import type { Bus, EventFor, EventMap, EventMapOf } from '@tidings/core'
import type { Observable, Unsubscribable } from 'rxjs'
import type { HistoryError } from './errors.js'

export interface HistoryOptions {
  /** IndexedDB database name. Default 'tidings-history'. */
  dbName?: string
  /** Topic patterns recorded even when not `persistent`. Default: none (only persistent events). */
  record?: string | readonly string[]
  /** Keep at most this many events; the oldest (by timestamp) are evicted first. */
  maxEvents?: number
  /** TTL for events that carry no `ttlMs`. Default: keep forever. */
  defaultTtlMs?: number
  /** Data field paths kept out of storage, relative to `data`: 'password', 'card.number', '*.token'. */
  redact?: readonly string[]
  /** How often expired events are deleted in the background. Default 60 000 ms. */
  sweepIntervalMs?: number
  /** How long opening may wait for other connections to let an upgrade through. Default 5000 ms. */
  blockedTimeoutMs?: number
  /** IndexedDB transaction durability for writes. Default 'default' (the browser's choice). */
  durability?: 'default' | 'strict' | 'relaxed'
}

/** A comparison on one field of the envelope: `{ 'data.amount': ['>=', 500] }`.
 *  A bare value means equality: `{ 'data.account': 'ACC-123' }`. */
export type WhereOperator = '=' | '==' | '!=' | '>' | '>=' | '<' | '<=' | 'in' | 'not-in' | 'contains' | 'starts-with' | 'exists'
export type WhereCondition =
  | string
  | number
  | boolean
  | null
  | readonly [WhereOperator, unknown]
export type Where = Readonly<Record<string, WhereCondition>>

export type TimeInput = number | Date | string

export interface HistoryQuery<P extends string = string> {
  /** Topic or glob pattern (the pattern rules of docs/core.md). Exact topics use the [type, time] index. */
  type?: P
  /** Inclusive lower bound on timestamp (epoch ms, Date or ISO string). */
  from?: TimeInput
  /** Inclusive upper bound on timestamp. */
  to?: TimeInput
  correlationId?: string
  where?: Where
  limit?: number
  /** By timestamp (then per-origin seq). Default 'asc'. */
  order?: 'asc' | 'desc'
}

/** How far a read has got: events examined (after the index narrowed the scan) and matched. */
export interface HistoryProgress {
  scanned: number
  matched: number
}

/** Options of a read (query, count, stream). Every read runs in slices of about 8 ms of
 *  main-thread work per task, whatever its size. */
export interface ReadOptions {
  /** Aborting stops the read at its next slice; the promise rejects with core's AbortedError. */
  signal?: AbortSignal
  /** Called after each page read (a few thousand events at most), with the totals so far. */
  onProgress?: (p: HistoryProgress) => void
}

export interface ReplayOptions {
  /** 'instant' (default) or a factor on the original spacing: 1 = real time, 10 = ten times faster. */
  speed?: 'instant' | number
  signal?: AbortSignal
}

export interface ReplayResult {
  replayed: number
}

export interface ImportReport {
  /** Records stored (an event whose id was already stored counts: it is kept once). */
  imported: number
  /** Records that were valid but already expired (not stored). */
  expired: number
  /** Records not stored, and why: malformed encodings, invalid envelopes, values that could not
   *  be read or stored. `index` is the array index or the 0-based line number for JSON lines. */
  rejected: Array<{ index: number; reason: string }>
  /** Records read in the format before the type-preserving encoding (plain JSON objects): JSON
   *  had already changed what it could not carry (a Date became a string, a Map {}, NaN null...). */
  legacy: number
}

export interface HistoryStats {
  /** Events durably written (including ones another context sharing the database had already
   *  stored: they are kept once). */
  written: number
  /** Events waiting for their transaction. */
  pending: number
  /** Events whose write failed (quota, closed database, data that could not be read or cloned). */
  failed: number
  /** Events skipped because the same id was already stored from this context. */
  duplicates: number
  /** Transactions committed. */
  transactions: number
  /** Evicted by maxEvents. */
  evicted: number
  /** Deleted by the TTL sweep. */
  expired: number
  /** HistoryDataErrors: events refused because reading their data threw or it could not be
   *  cloned, events a query skipped because a where-condition threw on them, events an export
   *  refused, imported records whose data could not be read. */
  dataErrors: number
}

export type HistoryStatus = 'opening' | 'open' | 'versionchange' | 'closed'

/** `M`: the app's event map (as in `createBus<M>()`), which types what query() and stream()
 *  return by the query's `type` pattern; at compile time only (stored events are not validated
 *  again when read). Default: untyped (`data: unknown`). */
export interface History<M extends EventMapOf<M> = EventMap> {
  readonly dbName: string
  readonly status: HistoryStatus
  /** Resolves once the database is open (rejects with HistoryBlockedError if it never opens).
   *  Not required before attach(): events published meanwhile are queued and written on open. */
  readonly ready: Promise<void>
  /** Starts recording `bus`. Returns a handle whose unsubscribe() stops it. */
  attach(bus: Bus): Unsubscribable
  /** Resolves when every event handed to the history so far is committed (rejects if any failed). */
  flush(): Promise<void>
  /** Matching events in order. Rejects with AbortedError when `opts.signal` aborts. */
  query<P extends string = string>(q?: HistoryQuery<P>, opts?: ReadOptions): Promise<Array<EventFor<M, P>>>
  /** The same results as query, delivered in pages; unsubscribing stops reading. */
  stream<P extends string = string>(q?: HistoryQuery<P>, opts?: Pick<ReadOptions, 'onProgress'>): Observable<EventFor<M, P>>
  /** How many live events match: O(1) without a query; from index keys alone for an exact or
   *  globbed type and a time window; through the correlation index for a correlationId; a
   *  sliced scan with `where`. */
  count(q?: HistoryQuery, opts?: ReadOptions): Promise<number>
  /** Deletes everything, or only what `q` matches. Resolves with how many were deleted. */
  clear(q?: HistoryQuery): Promise<number>
  replay(bus: Bus, q?: HistoryQuery, opts?: ReplayOptions): Promise<ReplayResult>
  /** The events `opts` selects, each in the type-preserving encoding: 'json' (default) a JSON array
   *  of encoded envelopes, 'jsonl' one per line. Rejects with HistoryExportError (listing them)
   *  when some hold values text cannot carry. */
  export(opts?: HistoryQuery & { format?: 'jsonl' | 'json' }): Promise<string>
  /** Stores what export() made (also the plain-JSON format before it), or an array of events. */
  import(input: string | readonly unknown[]): Promise<ImportReport>
  /** Deletes expired events now (the background sweep does this every sweepIntervalMs). */
  sweep(): Promise<number>
  stats(): HistoryStats
  /** Background failures (writes of non-persistent events, sweeps, connection changes) and every
   *  HistoryDataError of a write or a query. */
  readonly errors$: Observable<HistoryError>
  /** Detaches from every bus, waits for the publishAsync calls under way to be recorded and for
   *  every pending write to commit, then closes. */
  close(): Promise<void>
}
