// Segments: the unit of storage. One IndexedDB record holds the events of ONE type from ONE write
// batch within ONE time window (or, for sparse types, one WIDE span), sorted by (timestamp, seq,
// id). Chromium's IndexedDB costs ~40 µs per request (IPC, clone, LevelDB record) whatever its
// size, so one record per event caps writes near 20k events/s; a segment of up to SEGMENT_MAX
// events is one request.
import type { StoredRecord } from './record.js'

/** Key unit: a segment's `bucket` is in seconds (Math.floor(timestamp / BUCKET_MS)). */
export const BUCKET_MS = 1000
/** Seconds per window: a segment holds events of one type within one window of WINDOW seconds,
 *  and is keyed by the window's first second (wide segments: see WIDE). Databases written with 1 s
 *  segments (keys that are not multiples of WINDOW) are read, counted and evicted alike: readers
 *  group by window. */
export const WINDOW = 10
/** Seconds per WIDE span: a type with at most WIDE_MAX events in an aligned span of WIDE seconds
 *  (sparse traffic) gets one wide segment for the span instead of a segment per window (100k
 *  events once per second per type: a record per 10 events took 147-208 B per event on disk, one
 *  per ~60 takes 80 B). Only sparse types: a dense type keeps 10 s windows, so a range's partial
 *  edge windows stay small (a global 60 s window made dense type + time queries 3x and counts 10x
 *  slower). Readers handle wide keys (see isWide) next to 10 s and older 1 s ones. */
export const WIDE = 60
/** Events a wide segment holds at most (a batch's group, or merges into it: see put.ts). */
export const WIDE_MAX = 64
/** Events per segment at most: bounds what a rewrite (eviction, TTL, dedup fallback) costs. */
export const SEGMENT_MAX = 500
/** A segment this full ends at the next second boundary (see buildSegments). */
export const DENSE = 64

export interface Segment {
  /** Primary key (auto-increment); absent until stored. */
  k?: number
  type: string
  /** A window's first second, or for a wide segment its span's first second minus 0.5 (see
   *  isWide): the key sorts just before every narrow key of its span, and no narrow key (an
   *  integer) is ever equal to it, so one point range finds the wide segments of a span. */
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

/** `b` rounded down to a multiple of `n` (infinite bounds stay as they are). */
const floorTo = (b: number, n: number): number => (Number.isFinite(b) ? b - (((b % n) + n) % n) : b)
/** The first second of the window holding second `b`. */
export const windowOf = (b: number): number => floorTo(b, WINDOW)
/** The key of the segment holding timestamp `t`: its window's first second. */
export const bucketOf = (t: number): number => windowOf(Math.floor(t / BUCKET_MS))
/** The first second of the WIDE span holding second `b`. */
export const wideOf = (b: number): number => floorTo(b, WIDE)
/** Whether a key (bucket) is a wide segment's: narrow keys are whole seconds. */
export const isWide = (b: number): boolean => b % 1 !== 0
/** The first second of the span (wide) or window (narrow; 1 s keys of the older layout included)
 *  a key belongs to. */
export const startOf = (b: number): number => (isWide(b) ? b + 0.5 : windowOf(b))

type Ordered = { timestamp: number; seq: number; id: string }
export const compareEvents = (a: Ordered, b: Ordered): number =>
  a.timestamp - b.timestamp || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** A segment of `events` (one type, one window or, `wide`, one WIDE span; already sorted), keeping
 *  key `k` if given. */
export function makeSegment(events: StoredRecord[], k?: number, wide = false): Segment {
  const first = events[0]!
  const bucket = wide ? wideOf(Math.floor(first.timestamp / BUCKET_MS)) - 0.5 : bucketOf(first.timestamp)
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

const sec = (e: StoredRecord) => Math.floor(e.timestamp / BUCKET_MS)

/** Groups a batch into segments: duplicates (same id) dropped, grouped by (type, WIDE span); a
 *  group of at most WIDE_MAX events is one wide segment, a larger one is sorted and cut at each
 *  window, at SEGMENT_MAX and, past DENSE events, at a second boundary. `narrow`: never wide. */
export function buildSegments(records: readonly StoredRecord[], narrow = false): Segment[] {
  const groups = new Map<string, StoredRecord[]>()
  const ids = new Set<string>()
  for (const r of records) {
    if (ids.has(r.id)) continue
    ids.add(r.id)
    const key = `${wideOf(Math.floor(r.timestamp / BUCKET_MS))}\u0000${r.type}`
    let group = groups.get(key)
    if (!group) groups.set(key, (group = []))
    group.push(r)
  }
  const segments: Segment[] = []
  for (const events of groups.values()) {
    events.sort(compareEvents)
    if (!narrow && events.length <= WIDE_MAX) {
      segments.push(makeSegment(events, undefined, true))
      continue
    }
    // Dense traffic gets segments of about one second (eviction rewrites little).
    let start = 0
    for (let i = 1; i <= events.length; i++) {
      const [e, s, n] = [events[i], events[start]!, i - start]
      if (!e || n === SEGMENT_MAX || windowOf(sec(e)) !== windowOf(sec(s)) || (n >= DENSE && sec(e) !== sec(s))) {
        segments.push(makeSegment(events.slice(start, i)))
        start = i
      }
    }
  }
  return segments
}
