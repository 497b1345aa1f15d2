// Reads a planned query over segments, group by group, in plan order. A group is a window
// (segment.ts), or a whole WIDE span when the span holds a wide segment: a wide segment's events
// interleave in time with late narrow segments inside its span. A page is a cursor's steps over
// the index range, one segment each (or one getAll of small segments, or one getAllRecords for
// desc), of whole segments; a group is never split across pages: when a page ends inside one,
// that group is read again whole with the next page. The segments of one group may interleave in
// time (several batches, several tabs), so each group's events are merged by (timestamp, seq, id)
// before the time window, expiry, filters and the limit apply; the merge is lazy (merge.ts), so it
// is sliced with the rest. Pages are sized by events (about PAGE_EVENTS decoded per request), and
// the in-memory work yields every 512 events and between groups once a slice is used up
// (slice.ts), so no task runs much past one slice.
import type { TidingsEvent } from '@tidings/core'
import type { Plan } from './plan.js'
import { fromRecord, isExpired, type StoredRecord } from './record.js'
import { request } from './requests.js'
import { STORE } from './schema.js'
import { mergeEvents } from './merge.js'
import { BUCKET_MS, bucketOf, isWide, startOf, WIDE, wideOf, WINDOW, windowOf, type Segment } from './segment.js'

/** The group a reader merges a key's segment with: its window, or its whole span when the span
 *  has a wide segment (`wides`: the first seconds of such spans), since late narrow segments
 *  inside a span interleave in time with the wide one. */
export const groupOf = (b: number, wides: ReadonlySet<number>): number => (isWide(b) ? b + 0.5 : wides.has(wideOf(b)) ? wideOf(b) : windowOf(b))
/** The second after a group (see groupOf). */
const groupEnd = (g: number, wides: ReadonlySet<number>): number => g + (wides.has(g) ? WIDE : WINDOW)
import { slicer, type Slicer } from './slice.js'

/** Segments per request: the first page is small (a limit often needs little), then grows. */
export const SEG_PAGE_MIN = 8
export const SEG_PAGE_MAX = 256
/** Events decoded per page at most (estimated from the previous page's segments). */
export const PAGE_EVENTS = 4000
/** Events one getAll of small segments returns at most (decoded in one task). */
export const TASK_EVENTS = 1000

type GetAllRecords = (opts: { query: IDBKeyRange; count?: number | undefined; direction: 'prev' }) => IDBRequest<Array<{ value: Segment }>>

/** Up to `count` segments of `range`, in index order or (desc) reversed, each passed through
 *  `sift` as it arrives. `perSeg`: events per segment seen so far (undefined before the first
 *  page). */
export async function fetchSegments(
  index: IDBIndex,
  range: IDBKeyRange,
  count?: number,
  desc = false,
  perSeg?: number,
  sift: Sift = same,
  end?: PageEnd,
  group: (b: number) => number = windowOf,
): Promise<Segment[]> {
  if (!desc) {
    // Small segments (sparse traffic, 10 events each) in one getAll of at most TASK_EVENTS
    // events: a step per segment would cost a round trip each for the same events.
    if (perSeg !== undefined && count !== undefined && count * perSeg <= TASK_EVENTS) return (await request<Segment[]>(index.getAll(range, count))).map(sift)
    // Else a cursor: each step's segment (500 events at most) is decoded in its own task, and the
    // cursor's value is replaced at every step. A get or a getAll keeps its result on its request
    // object, which lives until the next full garbage collection: every segment a scan read by
    // gets survived V8's scavenges until then and was copied by each (8-25 ms of main-thread CPU
    // per scavenge at 1M stored; ~1 ms through a cursor, cpu-trace.mjs RAW=-1).
    // Past `count` segments it steps on to the end of the last group (`group`: a page holds whole
    // groups, and a group is never read twice) and stops at the next group's first segment,
    // which the next page starts from (`end`).
    return new Promise((resolve, reject) => {
      const out: Segment[] = []
      const req = index.openCursor(range)
      // oxlint-disable-next-line unicorn/prefer-add-event-listener
      req.onsuccess = () => {
        const c = req.result
        const seg = c?.value as Segment | undefined
        if (seg && out.length >= (count ?? Infinity) && group(seg.bucket) !== group(out.at(-1)!.bucket)) {
          if (end) end.next = seg.bucket
          return resolve(out)
        }
        if (!seg) {
          if (end) end.next = null
          return resolve(out)
        }
        out.push(sift(seg))
        c!.continue()
      }
      // oxlint-disable-next-line unicorn/prefer-add-event-listener
      req.onerror = () => reject(req.error)
    })
  }
  const getAllRecords = (index as { getAllRecords?: GetAllRecords }).getAllRecords
  if (getAllRecords) return (await request(getAllRecords.call(index, { query: range, count, direction: 'prev' }))).map((r) => sift(r.value))
  // Browsers without getAllRecords (before Chrome 141): a cursor, still one page per call.
  const out: Segment[] = []
  const req = index.openCursor(range, 'prev')
  for (let c: IDBCursorWithValue | null; (c = await request(req)) && out.push(sift(c.value as Segment)) < (count ?? Infinity); ) c.continue()
  return out
}

/** Where an ascending cursor page stopped: the bucket of the next group's first segment, or
 *  null at the end of the range (left undefined by the other paths). */
export interface PageEnd {
  next?: number | null
}

/** What a read keeps of each segment as it arrives (see readPages). */
type Sift = (s: Segment) => Segment
const same: Sift = (s) => s

/** Yields pages of live (unexpired, matching) events in plan order until the limit. */
export async function* readPages(getDb: () => Promise<IDBDatabase>, plan: Plan, now = Date.now(), sl: Slicer = slicer()): AsyncGenerator<TidingsEvent[]> {
  const { from, to, filter, prefix } = plan
  const desc = plan.direction === 'prev'
  // Index keys are [prefix?, bucket, ...]. `lo` and `hi` are seconds where a group starts or
  // ends: the range from [.., lo - 0.5] (the wide key of a span starting at lo, see segment.ts)
  // to [.., hi, Infinity] holds every key of the groups lo..hi, whatever follows the bucket.
  const key = (b: number, ...rest: number[]): IDBValidKey => (prefix === undefined ? [b, ...rest] : [prefix, b, ...rest])
  const lower = (b: number): IDBValidKey => key(b - 0.5)
  const upper = (b: number): IDBValidKey => key(b, Infinity)
  const openIndex = async () => (await getDb()).transaction(STORE).objectStore(STORE).index(plan.index)
  // Keys are seconds; new segments are keyed by their window's first second (wide ones half a
  // second before their span's), older ones (the 1 s layout) by their own: scan from the window
  // holding `from` to the second holding `to`.
  let lo = bucketOf(from)
  let hi = Math.floor(to / BUCKET_MS)
  let remaining = plan.limit
  let count = SEG_PAGE_MIN
  let wholeWindow = 0
  let perSeg: number | undefined
  // Spans known to hold a wide segment: their narrow segments are merged with it as one group.
  const wides = new Set<number>()
  const group = (b: number) => groupOf(b, wides)
  // Each segment is sifted as it arrives (in its reply's task, at most SEGMENT_MAX events): only
  // the events in the time window, unexpired and matching stay; `n` keeps the stored count. A
  // scan then holds its matches instead of whole windows of decoded events until they are merged:
  // those lived long enough to be copied by V8's scavenges (a window of dense traffic is 10,000
  // events), which were the longest tasks of a scan at 1M stored. Merging needs only the order.
  const keep = (r: StoredRecord) => r.timestamp >= from && r.timestamp <= to && !isExpired(r, now) && (!filter || filter(r))
  const sift: Sift = (s) => {
    if (isWide(s.bucket)) wides.add(startOf(s.bucket))
    const events = s.events.filter(keep)
    return events.length === s.events.length ? s : { ...s, events }
  }
  // The span holding `from` may have wide segments keyed below lo: one point range finds them (a
  // dense type has none, and none of its narrow segments below lo is read). They are this span's
  // group's, with its narrow segments from lo on: before them ascending, after them descending.
  const lo0 = lo
  const w0 = wideOf(lo)
  let head: Segment[] = []
  /** Whether the span starting at `w` holds a wide segment (one key-only count). */
  const hasWide = async (ix: IDBIndex, w: number) => (await request(ix.count(IDBKeyRange.bound(key(w - 0.5), key(w - 0.5, Infinity))))) > 0
  if (w0 < lo && w0 <= hi) {
    const range = IDBKeyRange.bound(key(w0 - 0.5), key(w0 - 0.5, Infinity))
    head = (await request<Segment[]>((await openIndex()).getAll(range))).map(sift)
  }
  while (remaining > 0 && lo <= hi) {
    await sl.pause()
    const index = await openIndex()
    const end: PageEnd = {}
    let segs = await fetchSegments(index, IDBKeyRange.bound(lower(lo), upper(hi)), count, desc, perSeg, sift, end, group)
    sl.fresh()
    let more = segs.length === count
    // The head goes with every page that starts at lo0 ascending, with the last page descending.
    const withHead = (xs: Segment[]) => (head.length === 0 ? xs : desc ? [...xs, ...head] : [...head, ...xs])
    if (desc ? !more : lo === lo0) segs = withHead(segs)
    if (segs.length === 0) return
    let ready = segs
    const grow = () => {
      // Grow, but keep a page near PAGE_EVENTS decoded events (segments hold 1 to 500), and
      // past a window read whole, at least that window's segments plus one: else every window of
      // dense traffic is decoded twice (a page inside it, then whole). A cursor decodes one
      // segment per task, so a bigger page makes no longer task. With a limit the page doubles (a
      // limit often needs little); without one it takes PAGE_EVENTS at once (fewer round trips:
      // sparse traffic has ten times the segments for the same events), in one getAll when that
      // is at most TASK_EVENTS of small segments.
      perSeg = segs.reduce((a, s) => a + s.n, 0) / segs.length
      const grown = Math.min(Number.isFinite(remaining) ? count * 2 : Infinity, SEG_PAGE_MAX, Math.floor(PAGE_EVENTS / perSeg))
      const bulk = Math.floor(TASK_EVENTS / perSeg)
      count = Math.max(1, grown * perSeg > TASK_EVENTS && bulk >= SEG_PAGE_MIN * 2 ? bulk : grown, wholeWindow)
    }
    if (end.next !== undefined) {
      // A cursor page: whole groups already; the next page starts at the group it stopped at.
      more = end.next !== null
      if (more) {
        lo = startOf(end.next!)
        grow()
      }
    } else if (more) {
      // The page may end inside its last group (window or span): keep the whole groups, and
      // continue from the last group (inclusive); if the page is one group, read that group whole.
      // Descending, the last (lowest) segment's span may hold a wide segment below the page.
      const b = segs.at(-1)!.bucket
      if (desc && !isWide(b) && wideOf(b) >= lo && !wides.has(wideOf(b))) {
        const ask = (ix: IDBIndex) => hasWide(ix, wideOf(b))
        if (await ask(index).catch(async () => ask(await openIndex()))) wides.add(wideOf(b))
      }
      const last = group(b)
      ready = segs.filter((s) => group(s.bucket) !== last)
      const readWhole = ready.length === 0
      if (readWhole) {
        const whole = IDBKeyRange.bound(lower(Math.max(last, lo)), upper(Math.min(groupEnd(last, wides), hi + 1) - 1))
        // Same transaction when it is still active (it is, right after the page's request).
        const read = (ix: IDBIndex) => fetchSegments(ix, whole, undefined, false, perSeg, sift)
        ready = await read(index).catch(async () => read(await openIndex()))
        if (last < lo) ready = withHead(ready)
      }
      if (desc) hi = readWhole ? last - 1 : groupEnd(last, wides) - 1
      else lo = readWhole ? groupEnd(last, wides) : Math.max(last, lo)
      if (readWhole && !desc) wholeWindow = Math.max(wholeWindow, Math.min(ready.length + 1, SEG_PAGE_MAX))
      grow()
    }
    const out: TidingsEvent[] = []
    for (const s of ready) sl.p.scanned += s.n
    let step = 0
    for (let i = 0; i < ready.length && remaining > 0; ) {
      let j = i + 1
      while (j < ready.length && group(ready[j]!.bucket) === group(ready[i]!.bucket)) j++
      // Merged as it is taken (merge.ts): a window of dense traffic holds thousands of events, and
      // the slice is checked every 512 of them, the merge included.
      for (const r of mergeEvents(ready.slice(i, j).filter((s) => s.events.length > 0), desc)) {
        if ((++step & 511) === 0) await sl.pause()
        out.push(fromRecord(r))
        sl.p.matched++
        if (--remaining === 0) break
      }
      i = j
      // Between groups: hand the thread back when the slice is used up.
      if (i < ready.length) await sl.pause()
    }
    sl.report()
    if (out.length > 0) yield out
    if (!more) return
  }
}
