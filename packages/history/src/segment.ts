// Segments: the unit of storage. One IndexedDB record holds the events of ONE type from ONE write
// batch within ONE time bucket, sorted by (timestamp, seq, id). Chromium's IndexedDB costs ~40 µs
// per request (IPC, clone, LevelDB record) whatever its size, so one record per event caps writes
// near 20k events/s; a segment of up to SEGMENT_MAX events is one request.
import type { StoredRecord } from './record.js'

/** Key unit: a segment's `bucket` is in seconds (Math.floor(timestamp / BUCKET_MS)). */
export const BUCKET_MS = 1000
/** Seconds per window: a segment holds events of one type within one window of WINDOW seconds,
 *  and is keyed by the window's first second. Databases written with 1 s segments (keys that are
 *  not multiples of WINDOW) are read, counted and evicted alike: readers group by window. */
export const WINDOW = 10
/** Events per segment at most: bounds what a rewrite (eviction, TTL, dedup fallback) costs. */
export const SEGMENT_MAX = 500
/** A segment this full ends at the next second boundary (see buildSegments). */
export const DENSE = 64

export interface Segment {
  /** Primary key (auto-increment); absent until stored. */
  k?: number
  type: string
  bucket: number
  t0: number
  t1: number
  n: number
  /** Event ids (a unique multiEntry index: each event is stored once by id). */
  ids: string[]
  /** [correlationId, bucket] for each distinct correlationId (multiEntry index). */
  corr?: Array<[string, number]>
  /** Earliest expiresAt of the events (index for the TTL sweep). */
  exp?: number
  events: StoredRecord[]
}

/** The first second of the window holding second `b` (infinite bounds stay as they are). */
export const windowOf = (b: number): number => (Number.isFinite(b) ? b - (((b % WINDOW) + WINDOW) % WINDOW) : b)
/** The key of the segment holding timestamp `t`: its window's first second. */
export const bucketOf = (t: number): number => windowOf(Math.floor(t / BUCKET_MS))

type Ordered = { timestamp: number; seq: number; id: string }
export const compareEvents = (a: Ordered, b: Ordered): number =>
  a.timestamp - b.timestamp || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** A segment of `events` (one type, one bucket, already sorted), keeping key `k` if given. */
export function makeSegment(events: StoredRecord[], k?: number): Segment {
  const first = events[0]!
  const bucket = bucketOf(first.timestamp)
  const s: Segment = { type: first.type, bucket, t0: first.timestamp, t1: events.at(-1)!.timestamp, n: events.length, ids: events.map((e) => e.id), events }
  let corr: Set<string> | undefined
  let exp = Infinity
  for (const e of events) {
    if (e.correlationId !== undefined) (corr ??= new Set()).add(e.correlationId)
    exp = Math.min(exp, e.expiresAt ?? exp)
  }
  if (k !== undefined) s.k = k
  if (corr) s.corr = [...corr].map((c) => [c, bucket])
  if (exp < Infinity) s.exp = exp
  return s
}

/** Groups a batch into segments: duplicates (same id) dropped, grouped by (type, window), each
 *  group sorted and cut at SEGMENT_MAX or, past DENSE events, at a second boundary. */
export function buildSegments(records: readonly StoredRecord[]): Segment[] {
  const groups = new Map<string, StoredRecord[]>()
  const ids = new Set<string>()
  for (const r of records) {
    if (ids.has(r.id)) continue
    ids.add(r.id)
    const key = `${bucketOf(r.timestamp)}\u0000${r.type}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = []))
    group.push(r)
  }
  const segments: Segment[] = []
  for (const events of groups.values()) {
    events.sort(compareEvents)
    // Cut at SEGMENT_MAX, and at a second boundary once a segment holds DENSE events: dense
    // traffic gets segments of about one second (eviction rewrites little), sparse traffic one
    // segment per window.
    let start = 0
    for (let i = 1; i <= events.length; i++) {
      const n = i - start
      if (i === events.length || n === SEGMENT_MAX || (n >= DENSE && Math.floor(events[i]!.timestamp / BUCKET_MS) !== Math.floor(events[start]!.timestamp / BUCKET_MS))) {
        segments.push(makeSegment(events.slice(start, i)))
        start = i
      }
    }
  }
  return segments
}
