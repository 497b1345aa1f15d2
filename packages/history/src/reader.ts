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
import { BUCKET_MS, bucketOf, compareEvents, isWide, startOf, wideOf, WINDOW, windowOf, type Segment } from './segment.js'
import { slicer, type Slicer } from './slice.js'

/** The group of a key: the window it starts (a wide key: its span's first window). */
const groupOf = (b: number): number => windowOf(startOf(b))

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
  group: (b: number) => number = groupOf,
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
  // Index keys are [prefix?, bucket, ...]. `lo` and `hi` are seconds where a window starts or
  // ends: the range from [.., lo - 0.5] (the wide key of a span starting at lo, see segment.ts)
  // to [.., hi, Infinity] holds every key of the windows lo..hi, whatever follows the bucket.
  const key = (b: number, ...rest: number[]): IDBValidKey => (prefix === undefined ? [b, ...rest] : [prefix, b, ...rest])
  const lower = (b: number): IDBValidKey => key(b - 0.5)
  const upper = (b: number): IDBValidKey => key(b, Infinity)
  /** The wide segments of the span starting at second `w`. */
  const wideRange = (w: number) => IDBKeyRange.bound(key(w - 0.5), key(w - 0.5, Infinity))
  const openIndex = async () => (await getDb()).transaction(STORE).objectStore(STORE).index(plan.index)
  // Keys are seconds; new segments are keyed by their window's first second (wide ones half a
  // second before their span's), older ones (the 1 s layout) by their own: scan from the window
  // holding `from` to the second holding `to`.
  let lo = bucketOf(from)
  let hi = Math.floor(to / BUCKET_MS)
  // Events still wanted (the limit); an object, so the merge below counts it down.
  const want = { left: plan.limit }
  let count = SEG_PAGE_MIN
  let wholeWindow = 0
  let perSeg: number | undefined
  // Each segment is sifted as it arrives (in its reply's task, at most SEGMENT_MAX events): only
  // the events in the time window, unexpired and matching stay; `n` keeps the stored count. A
  // scan then holds its matches instead of whole windows of decoded events until they are merged:
  // those lived long enough to be copied by V8's scavenges (a window of dense traffic is 10,000
  // events), which were the longest tasks of a scan at 1M stored. Merging needs only the order.
  const keep = (r: StoredRecord) => r.timestamp >= from && r.timestamp <= to && !isExpired(r, now) && (!filter || filter(r))
  const sift: Sift = (s) => {
    const events = s.events.filter(keep)
    return events.length === s.events.length ? s : { ...s, events }
  }
  // Wide segments (sparse types) span 60 s: their matching events wait here, in (timestamp, seq,
  // id) order, and each is merged into the window it falls in, or given out once no unread
  // segment can hold an earlier one (in read order). Windows stay the unit of a page: a span that
  // holds wide segments of sparse types beside dense types' windows is not read as one group.
  const carry: StoredRecord[] = []
  const carried = new Set<number>()
  const toCarry = (segs: readonly Segment[]) => {
    for (const s of segs) {
      if (carried.has(s.k!)) continue
      carried.add(s.k!)
      sl.p.scanned += s.n
      carry.push(...s.events)
    }
    carry.sort(compareEvents)
  }
  /** Takes the carried events before (in read order) the second `b`, as one sorted segment. */
  const carryBefore = (b: number): Segment[] => {
    let i = 0
    while (i < carry.length && carry[i]!.timestamp < b * BUCKET_MS) i++
    const taken = desc ? carry.splice(i) : carry.splice(0, i)
    return taken.length === 0 ? [] : [{ events: taken } as Segment]
  }
  // The span holding `from` may have wide segments keyed below lo: one point range finds them (a
  // dense type has none, and none of its narrow segments below lo is read), in the first page's
  // transaction.
  const w0 = wideOf(lo)
  let head = w0 < lo && w0 <= hi
  /** Whether wide segments of the span starting at `w` were looked up (descending pages). */
  const looked = new Set<number>()
  while (want.left > 0 && lo <= hi) {
    await sl.pause()
    const index = await openIndex()
    const end: PageEnd = {}
    const heads = head ? request<Segment[]>(index.getAll(wideRange(w0))) : undefined
    const segs = await fetchSegments(index, IDBKeyRange.bound(lower(lo), upper(hi)), count, desc, perSeg, sift, end)
    if (heads) toCarry((await heads).map(sift))
    head = false
    sl.fresh()
    if (segs.length === 0 && carry.length === 0) return
    let more = segs.length === count
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
      const grown = Math.min(Number.isFinite(want.left) ? count * 2 : Infinity, SEG_PAGE_MAX, Math.floor(PAGE_EVENTS / perSeg))
      const bulk = Math.floor(TASK_EVENTS / perSeg)
      count = Math.max(1, grown * perSeg > TASK_EVENTS && bulk >= SEG_PAGE_MIN * 2 ? bulk : grown, wholeWindow)
    }
    if (end.next !== undefined) {
      // A cursor page: whole windows already; the next page starts at the window it stopped at.
      more = end.next !== null
      if (more) {
        lo = startOf(end.next!)
        grow()
      }
    } else if (more) {
      // The page may end inside its last window: keep the whole windows, and continue from the
      // last window (inclusive); if the page is one window, read that window whole.
      const last = groupOf(segs.at(-1)!.bucket)
      if (desc) {
        // The wide segments of the last window's span may be keyed below the page, and hold
        // events later than windows given out now: read them first (one point range).
        const w = wideOf(last)
        if (w >= lo && !looked.has(w)) {
          looked.add(w)
          const ask = async (ix: IDBIndex) => (await request<Segment[]>(ix.getAll(wideRange(w)))).map(sift)
          toCarry(await ask(index).catch(async () => ask(await openIndex())))
        }
      }
      ready = segs.filter((s) => groupOf(s.bucket) !== last)
      const readWhole = ready.length === 0
      if (readWhole) {
        const whole = IDBKeyRange.bound(lower(last), upper(last + WINDOW - 1))
        // Same transaction when it is still active (it is, right after the page's request).
        const read = (ix: IDBIndex) => fetchSegments(ix, whole, undefined, false, perSeg, sift)
        ready = await read(index).catch(async () => read(await openIndex()))
      }
      if (desc) hi = readWhole ? last - 1 : last + WINDOW - 1
      else lo = readWhole ? last + WINDOW : last
      if (readWhole && !desc) wholeWindow = Math.max(wholeWindow, Math.min(ready.length + 1, SEG_PAGE_MAX))
      grow()
    }
    toCarry(ready.filter((s) => isWide(s.bucket)))
    const narrow = ready.filter((s) => !isWide(s.bucket))
    const out: TidingsEvent[] = []
    for (const s of narrow) sl.p.scanned += s.n
    let step = 0
    /** Merges `segs` (one window, and the carried events before its end) into `out`. */
    const emit = async (group: Segment[]) => {
      // Merged as it is taken (merge.ts): a window of dense traffic holds thousands of events, and
      // the slice is checked every 512 of them, the merge included.
      for (const r of mergeEvents(group.filter((s) => s.events.length > 0), desc)) {
        if ((++step & 511) === 0) await sl.pause()
        out.push(fromRecord(r))
        sl.p.matched++
        if (--want.left === 0) return
      }
    }
    for (let i = 0; i < narrow.length; ) {
      if (want.left === 0) break
      let j = i + 1
      const g = groupOf(narrow[i]!.bucket)
      while (j < narrow.length && groupOf(narrow[j]!.bucket) === g) j++
      await emit([...narrow.slice(i, j), ...carryBefore(desc ? g : g + WINDOW)])
      i = j
      // Between windows: hand the thread back when the slice is used up.
      if (i < narrow.length) await sl.pause()
    }
    // Carried events no unread segment can precede: before the next page's first window.
    if (want.left > 0) await emit(carryBefore(!more ? (desc ? -Infinity : Infinity) : desc ? hi + 1 : lo))
    sl.report()
    if (out.length > 0) yield out
    if (!more) return
  }
}
