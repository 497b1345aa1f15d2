// Reads a planned query over segments, bucket by bucket, in plan order. A page is its primary keys
// then one get per segment (or one getAll of small segments, or one getAllRecords for desc), of
// whole segments; a window (segment.ts) is never split across pages:
// when a page ends inside one, that window is read again whole with the next page. The segments of
// one window may interleave in time (several batches, several tabs), so each window's events are
// merged by (timestamp, seq, id) before the time window, expiry, filters and the limit apply; the
// merge is lazy (merge.ts), so it is sliced with the rest. Pages are sized by events (about
// PAGE_EVENTS decoded per request), and the in-memory work yields every 512 events and between
// windows once a slice is used up (slice.ts), so no task runs much past one slice.
import type { TidingsEvent } from '@tidings/core'
import type { Plan } from './plan.js'
import { fromRecord, isExpired, type StoredRecord } from './record.js'
import { request } from './requests.js'
import { STORE } from './schema.js'
import { mergeEvents } from './merge.js'
import { BUCKET_MS, bucketOf, WINDOW, windowOf, type Segment } from './segment.js'
import { slicer, type Slicer } from './slice.js'

/** Segments per request: the first page is small (a limit often needs little), then grows. */
export const SEG_PAGE_MIN = 8
export const SEG_PAGE_MAX = 256
/** Events decoded per page at most (estimated from the previous page's segments). */
export const PAGE_EVENTS = 4000
/** Events the browser may decode ahead of the reader: the gets of a page in flight at once, and
 *  what one getAll of small segments returns. Every IndexedDB reply is a task of the page, and
 *  replies that arrive together run back to back before the page's own next task (an input, a
 *  frame): a whole page of gets in flight (a window of 10,000 dense events) held the thread for
 *  20-30 ms at 1M stored, while each reply alone took well under a millisecond. */
export const TASK_EVENTS = 1000

type GetAllRecords = (opts: { query: IDBKeyRange; count?: number | undefined; direction: 'prev' }) => IDBRequest<Array<{ value: Segment }>>

/** Up to `count` segments of `range`, in index order or (desc) reversed. `perSeg`: events per
 *  segment seen so far (undefined before the first page), which bounds what is decoded at once. */
export async function fetchSegments(index: IDBIndex, range: IDBKeyRange, count?: number, desc = false, perSeg?: number, sift: Sift = same): Promise<Segment[]> {
  // Ascending: the page's primary keys in one request, then one get per segment, pipelined
  // (unlike a cursor's round trip per step) but at most TASK_EVENTS events in flight; each get's
  // result is decoded in its own task, so a page of dense traffic (thousands of events) is never
  // decoded in one, as a getAll would. Small segments (sparse traffic, 10 events each) come in one
  // getAll instead: a hundred gets cost a hundred backend requests for the same events. Order
  // within a window does not matter: its segments are merged.
  if (!desc) {
    if (perSeg !== undefined && count !== undefined && count * perSeg <= TASK_EVENTS) return (await request<Segment[]>(index.getAll(range, count))).map(sift)
    return fetchByKeys(index.objectStore, await request(index.getAllKeys(range, count)), perSeg, sift)
  }
  const getAllRecords = (index as { getAllRecords?: GetAllRecords }).getAllRecords
  if (getAllRecords) return (await request(getAllRecords.call(index, { query: range, count, direction: 'prev' }))).map((r) => sift(r.value))
  // Browsers without getAllRecords (before Chrome 141): a cursor, still one page per call.
  const out: Segment[] = []
  const req = index.openCursor(range, 'prev')
  for (let c: IDBCursorWithValue | null; (c = await request(req)) && out.push(sift(c.value as Segment)) < (count ?? Infinity); ) c.continue()
  return out
}

/** What a read keeps of each segment as it arrives (see readPages). */
type Sift = (s: Segment) => Segment
const same: Sift = (s) => s

/** The segments of `keys` (in that order), by gets issued from the replies' own success events
 *  (so the transaction stays active), with about TASK_EVENTS events in flight at most (learned
 *  from the replies: a segment holds 1 to 500). */
function fetchByKeys(store: IDBObjectStore, keys: IDBValidKey[], perSeg = 100, sift: Sift = same): Promise<Segment[]> {
  return new Promise((resolve, reject) => {
    const out: Segment[] = Array.from({ length: keys.length })
    let next = 0
    let got = 0
    let events = 0
    let inFlight = 0
    const issue = () => {
      const per = got > 0 ? events / got : perSeg
      const max = Math.max(1, Math.floor(TASK_EVENTS / Math.max(1, per)))
      while (next < keys.length && inFlight < max) {
        const i = next++
        const req = store.get(keys[i]!)
        inFlight++
        // oxlint-disable-next-line unicorn/prefer-add-event-listener
        req.onsuccess = () => {
          inFlight--
          const seg = req.result as Segment
          events += seg.n
          out[i] = sift(seg)
          if (++got === keys.length) resolve(out)
          else issue()
        }
        // oxlint-disable-next-line unicorn/prefer-add-event-listener
        req.onerror = () => reject(req.error)
      }
    }
    if (keys.length === 0) resolve(out)
    else issue()
  })
}

/** Yields pages of live (unexpired, matching) events in plan order until the limit. */
export async function* readPages(getDb: () => Promise<IDBDatabase>, plan: Plan, now = Date.now(), sl: Slicer = slicer()): AsyncGenerator<TidingsEvent[]> {
  const { from, to, filter, prefix } = plan
  const desc = plan.direction === 'prev'
  // Index keys are [prefix?, bucket, ...]: a range from [.., lo] to [.., hi, Infinity] holds every
  // key of the buckets lo..hi, whatever follows the bucket.
  const lower = (b: number): IDBValidKey => (prefix === undefined ? [b] : [prefix, b])
  const upper = (b: number): IDBValidKey => (prefix === undefined ? [b, Infinity] : [prefix, b, Infinity])
  const openIndex = async () => (await getDb()).transaction(STORE).objectStore(STORE).index(plan.index)
  // Keys are seconds; new segments are keyed by their window's first second, older ones (the
  // 1 s layout) by their own: scan from the window holding `from` to the second holding `to`.
  let lo = bucketOf(from)
  let hi = Math.floor(to / BUCKET_MS)
  let remaining = plan.limit
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
  while (remaining > 0 && lo <= hi) {
    await sl.pause()
    const index = await openIndex()
    const segs = await fetchSegments(index, IDBKeyRange.bound(lower(lo), upper(hi)), count, desc, perSeg, sift)
    sl.fresh()
    if (segs.length === 0) return
    const more = segs.length === count
    let ready = segs
    if (more) {
      // The page may end inside its last window: keep the whole windows, and continue from the
      // last window (inclusive); if the page is one window, read that window whole.
      const last = windowOf(segs.at(-1)!.bucket)
      ready = segs.filter((s) => windowOf(s.bucket) !== last)
      const readWhole = ready.length === 0
      if (readWhole) {
        const whole = IDBKeyRange.bound(lower(last), upper(last + WINDOW - 1))
        // Same transaction when it is still active (it is, right after the page's request).
        const read = (ix: IDBIndex) => fetchSegments(ix, whole, undefined, false, perSeg, sift)
        ready = await read(index).catch(async () => read(await openIndex()))
      }
      if (desc) hi = readWhole ? last - 1 : last + WINDOW - 1
      else lo = readWhole ? last + WINDOW : last
      // Grow, but keep a page near PAGE_EVENTS decoded events (segments hold 1 to 500), and
      // past a window read whole, at least that window's segments plus one: else every window of
      // dense traffic is decoded twice (a page inside it, then whole). Gets are bounded in flight
      // (fetchByKeys), so a bigger page makes no longer task. With a limit the page doubles (a
      // limit often needs little); without one it takes PAGE_EVENTS at once (fewer round trips:
      // sparse traffic has ten times the segments for the same events), in one getAll when that
      // is at most TASK_EVENTS of small segments.
      perSeg = segs.reduce((a, s) => a + s.n, 0) / segs.length
      if (readWhole && !desc) wholeWindow = Math.max(wholeWindow, Math.min(ready.length + 1, SEG_PAGE_MAX))
      const grown = Math.min(Number.isFinite(remaining) ? count * 2 : Infinity, SEG_PAGE_MAX, Math.floor(PAGE_EVENTS / perSeg))
      const bulk = Math.floor(TASK_EVENTS / perSeg)
      count = Math.max(1, grown * perSeg > TASK_EVENTS && bulk >= SEG_PAGE_MIN * 2 ? bulk : grown, wholeWindow)
    }
    const out: TidingsEvent[] = []
    for (const s of ready) sl.p.scanned += s.n
    let step = 0
    for (let i = 0; i < ready.length && remaining > 0; ) {
      let j = i + 1
      while (j < ready.length && windowOf(ready[j]!.bucket) === windowOf(ready[i]!.bucket)) j++
      // Merged as it is taken (merge.ts): a window of dense traffic holds thousands of events, and
      // the slice is checked every 512 of them, the merge included.
      for (const r of mergeEvents(ready.slice(i, j).filter((s) => s.events.length > 0), desc)) {
        if ((++step & 511) === 0) await sl.pause()
        out.push(fromRecord(r))
        sl.p.matched++
        if (--remaining === 0) break
      }
      i = j
      // Between windows: hand the thread back when the slice is used up.
      if (i < ready.length) await sl.pause()
    }
    sl.report()
    if (out.length > 0) yield out
    if (!more) return
  }
}
