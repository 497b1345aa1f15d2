// Segments: the unit of storage. One IndexedDB record holds the events of ONE type from ONE write
// batch within ONE time bucket, sorted by (timestamp, seq, id). Chromium's IndexedDB costs ~40 µs
// per request (IPC, clone, LevelDB record) whatever its size, so one record per event caps writes
// near 20k events/s; a segment of up to SEGMENT_MAX events is one request.
import type { StoredRecord } from './schema.js'

/** Bucket width: events of one type within one bucket (and one batch) share a segment. */
export const BUCKET_MS = 1000
/** Events per segment at most: bounds what a rewrite (eviction, TTL, dedup fallback) costs. */
export const SEGMENT_MAX = 500

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

export const bucketOf = (t: number): number => Math.floor(t / BUCKET_MS)

type Ordered = { timestamp: number; seq: number; id: string }
export const compareEvents = (a: Ordered, b: Ordered): number =>
  a.timestamp - b.timestamp || a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** A segment of `events` (one type, one bucket, already sorted), keeping key `k` if given. */
export function makeSegment(events: StoredRecord[], k?: number): Segment {
  const first = events[0]!
  const bucket = bucketOf(first.timestamp)
  const ids = new Array<string>(events.length)
  let corr: Array<[string, number]> | undefined
  let corrSeen: Set<string> | undefined
  let exp: number | undefined
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    ids[i] = e.id
    const c = e.correlationId
    if (c !== undefined && !(corrSeen ??= new Set()).has(c)) {
      corrSeen.add(c)
      ;(corr ??= []).push([c, bucket])
    }
    if (e.expiresAt !== undefined && (exp === undefined || e.expiresAt < exp)) exp = e.expiresAt
  }
  const s: Segment = { type: first.type, bucket, t0: first.timestamp, t1: events[events.length - 1]!.timestamp, n: events.length, ids, events }
  if (k !== undefined) s.k = k
  if (corr) s.corr = corr
  if (exp !== undefined) s.exp = exp
  return s
}

/** Groups a batch into segments: duplicates (same id) dropped, grouped by (type, bucket), each
 *  group sorted and cut at SEGMENT_MAX. Returns the segments and how many duplicates were dropped. */
export function buildSegments(records: readonly StoredRecord[], max = SEGMENT_MAX): { segments: Segment[]; duplicates: number } {
  const groups = new Map<string, StoredRecord[]>()
  const ids = new Set<string>()
  let duplicates = 0
  let lastKey = ''
  let last: StoredRecord[] | undefined
  for (const r of records) {
    if (ids.has(r.id)) {
      duplicates++
      continue
    }
    ids.add(r.id)
    const key = `${bucketOf(r.timestamp)}\u0000${r.type}`
    if (key !== lastKey || !last) {
      lastKey = key
      last = groups.get(key)
      if (!last) groups.set(key, (last = []))
    }
    last.push(r)
  }
  const segments: Segment[] = []
  for (const events of groups.values()) {
    sortIfNeeded(events)
    for (let i = 0; i < events.length; i += max) segments.push(makeSegment(i === 0 && events.length <= max ? events : events.slice(i, i + max)))
  }
  return { segments, duplicates }
}

function sortIfNeeded(events: StoredRecord[]): void {
  for (let i = 1; i < events.length; i++) {
    if (compareEvents(events[i - 1]!, events[i]!) > 0) {
      events.sort(compareEvents)
      return
    }
  }
}

/** The events of several segments (of one bucket) in (timestamp, seq, id) order, or reversed;
 *  an id that two segments share (should never happen) is yielded once. */
export function mergeBucket(segments: readonly Segment[], desc: boolean): StoredRecord[] {
  let all: StoredRecord[]
  if (segments.length === 1) all = segments[0]!.events
  else {
    all = []
    for (const s of segments) for (const e of s.events) all.push(e)
    all.sort(compareEvents)
    let w = 0
    for (let i = 0; i < all.length; i++) if (w === 0 || all[w - 1]!.id !== all[i]!.id) all[w++] = all[i]!
    all.length = w
  }
  return desc ? all.toReversed() : all
}

/** `seg` without the events `drop` selects: the rewritten segment, or undefined when none is left. */
export function without(seg: Segment, drop: (e: StoredRecord) => boolean): { kept: Segment | undefined; removed: number } {
  const events = seg.events.filter((e) => !drop(e))
  const removed = seg.events.length - events.length
  if (removed === 0) return { kept: seg, removed }
  return { kept: events.length === 0 ? undefined : makeSegment(events, seg.k), removed }
}
