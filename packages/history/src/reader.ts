// Reads a planned query over segments, bucket by bucket, in plan order. A page is one getAll (or
// getAllRecords for desc) of whole segments; a bucket is never split across pages: when a page
// ends inside a bucket, that bucket is read again whole with the next page. The segments of one
// bucket may interleave in time (several batches, several tabs), so each bucket's events are
// merged by (timestamp, seq, id) before the time window, expiry, filters and the limit apply.
import type { TidingsEvent } from '@tidings/core'
import type { Plan } from './plan.js'
import { fromRecord, STORE } from './schema.js'
import { bucketOf, mergeBucket, type Segment } from './segment.js'

/** Segments per request: the first page is small (a limit often needs little), then doubles. */
export const SEG_PAGE_MIN = 8
export const SEG_PAGE_MAX = 256

type GetAllRecords = (opts: { query: IDBKeyRange | null; count?: number; direction?: IDBCursorDirection }) => IDBRequest<Array<{ value: Segment }>>

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.addEventListener('success', () => resolve(req.result))
    req.addEventListener('error', () => reject(req.error))
  })
}

export async function fetchSegments(index: IDBIndex, range: IDBKeyRange, count: number | undefined, direction: 'next' | 'prev'): Promise<Segment[]> {
  if (direction === 'next' || count === undefined) return request(index.getAll(range, count) as IDBRequest<Segment[]>)
  const getAllRecords = (index as unknown as { getAllRecords?: GetAllRecords }).getAllRecords
  if (getAllRecords) return request(getAllRecords.call(index, { query: range, count, direction: 'prev' })).then((rs) => rs.map((r) => r.value))
  // Browsers without getAllRecords (before Chrome 141): a cursor, still one page per call.
  return new Promise((resolve, reject) => {
    const out: Segment[] = []
    const req = index.openCursor(range, 'prev')
    req.addEventListener('error', () => reject(req.error))
    req.addEventListener('success', () => {
      const c = req.result
      if (!c) return resolve(out)
      out.push(c.value as Segment)
      if (out.length >= count) resolve(out)
      else c.continue()
    })
  })
}

/** Yields pages of live (unexpired, matching) events in plan order until the limit. */
export async function* readPages(getDb: () => Promise<IDBDatabase>, plan: Plan, now = Date.now()): AsyncGenerator<TidingsEvent[]> {
  const desc = plan.direction === 'prev'
  const keyFor = (b: number): IDBValidKey => (plan.prefix === undefined ? b : [plan.prefix, b])
  const { from, to, filter } = plan
  let lo = bucketOf(from)
  let hi = bucketOf(to)
  let loOpen = false
  let hiOpen = false
  let remaining = plan.limit
  let count = SEG_PAGE_MIN
  while (remaining > 0 && (lo < hi || (lo === hi && !loOpen && !hiOpen))) {
    const index = (await getDb()).transaction(STORE, 'readonly').objectStore(STORE).index(plan.index)
    const segs = await fetchSegments(index, IDBKeyRange.bound(keyFor(lo), keyFor(hi), loOpen, hiOpen), count, plan.direction)
    if (segs.length === 0) return
    const more = segs.length === count
    let ready = segs
    if (more) {
      // The page may end inside its last bucket: keep the whole buckets, and continue from the
      // last bucket (inclusive); if the page is one bucket, read that bucket whole.
      const lastBucket = segs[segs.length - 1]!.bucket
      let open = false
      ready = segs.filter((s) => s.bucket !== lastBucket)
      if (ready.length === 0) {
        const whole = IDBKeyRange.only(keyFor(lastBucket))
        // Same transaction when it is still active (it is, right after the page's request).
        ready = await fetchSegments(index, whole, undefined, 'next').catch(async () =>
          fetchSegments((await getDb()).transaction(STORE, 'readonly').objectStore(STORE).index(plan.index), whole, undefined, 'next'),
        )
        open = true
      }
      if (desc) [hi, hiOpen] = [lastBucket, open]
      else [lo, loOpen] = [lastBucket, open]
      count = Math.min(count * 2, SEG_PAGE_MAX)
    }
    const out: TidingsEvent[] = []
    for (let i = 0; i < ready.length && remaining > 0; ) {
      let j = i + 1
      while (j < ready.length && ready[j]!.bucket === ready[i]!.bucket) j++
      for (const r of mergeBucket(ready.slice(i, j), desc)) {
        if (r.timestamp < from || r.timestamp > to) continue
        if (r.expiresAt !== undefined && r.expiresAt <= now) continue
        if (filter && !filter(r)) continue
        out.push(fromRecord(r))
        if (--remaining === 0) break
      }
      i = j
    }
    if (out.length > 0) yield out
    if (!more) return
  }
}
