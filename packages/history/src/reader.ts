// Reads a planned query over segments, bucket by bucket, in plan order. A page is its primary keys
// then one get per segment, pipelined (or one getAllRecords for desc), of whole segments; a window (segment.ts) is never split across pages:
// when a page ends inside one, that window is read again whole with the next page. The segments of
// one window may interleave in time (several batches, several tabs), so each window's events are
// merged by (timestamp, seq, id) before the time window, expiry, filters and the limit apply; the
// merge is lazy (merge.ts), so it is sliced with the rest. Pages are sized by events (about
// PAGE_EVENTS decoded per request), and the in-memory work yields every 512 events and between
// windows once a slice is used up (slice.ts), so no task runs much past one slice.
import type { TidingsEvent } from '@tidings/core'
import type { Plan } from './plan.js'
import { fromRecord, isExpired } from './record.js'
import { request } from './requests.js'
import { STORE } from './schema.js'
import { mergeEvents } from './merge.js'
import { BUCKET_MS, bucketOf, WINDOW, windowOf, type Segment } from './segment.js'
import { slicer, type Slicer } from './slice.js'

/** Segments per request: the first page is small (a limit often needs little), then doubles. */
export const SEG_PAGE_MIN = 8
export const SEG_PAGE_MAX = 256
/** Events decoded per page at most (estimated from the previous page's segments). */
export const PAGE_EVENTS = 4000

type GetAllRecords = (opts: { query: IDBKeyRange; count?: number | undefined; direction: 'prev' }) => IDBRequest<Array<{ value: Segment }>>

/** Up to `count` segments of `range`, in index order or (desc) reversed. */
export async function fetchSegments(index: IDBIndex, range: IDBKeyRange, count?: number, desc = false): Promise<Segment[]> {
  // Ascending: the page's primary keys in one request, then one get per segment, all issued at
  // once (pipelined, unlike a cursor's round trip per step); each get's result is decoded in its
  // own task, so a page of dense traffic (thousands of events) is never decoded in one, as a
  // getAll would. Order within a window does not matter: its segments are merged.
  if (!desc) return fetchByKeys(index, await request(index.getAllKeys(range, count)))
  const getAllRecords = (index as { getAllRecords?: GetAllRecords }).getAllRecords
  if (getAllRecords) return (await request(getAllRecords.call(index, { query: range, count, direction: 'prev' }))).map((r) => r.value)
  // Browsers without getAllRecords (before Chrome 141): a cursor, still one page per call.
  const out: Segment[] = []
  const req = index.openCursor(range, 'prev')
  for (let c: IDBCursorWithValue | null; (c = await request(req)) && out.push(c.value as Segment) < (count ?? Infinity); ) c.continue()
  return out
}

const fetchByKeys = (index: IDBIndex, keys: IDBValidKey[]): Promise<Segment[]> => Promise.all(keys.map((k) => request<Segment>(index.objectStore.get(k))))

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
  while (remaining > 0 && lo <= hi) {
    await sl.pause()
    const index = await openIndex()
    const segs = await fetchSegments(index, IDBKeyRange.bound(lower(lo), upper(hi)), count, desc)
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
        ready = await fetchSegments(index, whole).catch(async () => fetchSegments(await openIndex(), whole))
      }
      if (desc) hi = readWhole ? last - 1 : last + WINDOW - 1
      else lo = readWhole ? last + WINDOW : last
      // Double, but keep a page near PAGE_EVENTS decoded events (segments hold 1 to 500), and
      // past a window read whole, at least that window's segments plus one: else every window of
      // dense traffic is decoded twice (a page inside it, then whole). Each segment is decoded in
      // its own task (fetchByKeys), so a bigger page makes no longer task.
      const perSeg = segs.reduce((a, s) => a + s.n, 0) / segs.length
      if (readWhole && !desc) wholeWindow = Math.max(wholeWindow, Math.min(ready.length + 1, SEG_PAGE_MAX))
      count = Math.max(1, Math.min(count * 2, SEG_PAGE_MAX, Math.floor(PAGE_EVENTS / perSeg)), wholeWindow)
    }
    const out: TidingsEvent[] = []
    for (let i = 0; i < ready.length && remaining > 0; ) {
      let j = i + 1
      while (j < ready.length && windowOf(ready[j]!.bucket) === windowOf(ready[i]!.bucket)) j++
      // Merged as it is taken (merge.ts): a window of dense traffic holds thousands of events, and
      // the slice is checked every 512 of them, the merge included.
      for (const r of mergeEvents(ready.slice(i, j), desc)) {
        if ((++sl.p.scanned & 511) === 0) await sl.pause()
        if (r.timestamp < from || r.timestamp > to || isExpired(r, now) || (filter && !filter(r))) continue
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
