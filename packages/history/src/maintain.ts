// Changes to stored segments inside a readwrite transaction: evict the oldest events, delete
// expired ones, delete chosen ids. A segment that loses some events is rewritten under its key
// (indexes follow), one that loses all is deleted. Only IndexedDB requests are awaited, so the
// transaction stays active throughout.
import { findStored } from './put.js'
import { isExpired, type StoredRecord } from './record.js'
import { request } from './requests.js'
import { makeSegment, mergeBucket, windowOf, type Segment } from './segment.js'

/** Rewrites `seg` without the events `drop` selects (deletes it when none is left). Returns how
 *  many it dropped. */
function rewrite(store: IDBObjectStore, seg: Segment, drop: (e: StoredRecord) => boolean): number {
  const kept = seg.events.filter((e) => !drop(e))
  const removed = seg.events.length - kept.length
  if (removed > 0) {
    if (kept.length > 0) store.put(makeSegment(kept, seg.k))
    else store.delete(seg.k!)
  }
  return removed
}

/** Deletes the `excess` oldest events (by timestamp, seq, id), exactly, in time proportional to
 *  what it deletes, walking the index from bucket `from` (nothing is stored below it). Resolves
 *  with how many it deleted and the window nothing is stored below now. The [bucket, t0, t1, n]
 *  index's keys give each segment's window, first and last timestamp and size without reading
 *  it: whole oldest windows are deleted by key; in the window the cut falls in, leading segments
 *  that overlap no later one too, then segments are read oldest first (by t0) only until every
 *  unread one starts after the cut, and rewritten without the evicted events. */
export async function evictOldest(store: IDBObjectStore, excess: number, from = -Infinity): Promise<{ evicted: number; floor: number }> {
  let left = excess
  type Key = { pk: IDBValidKey; t0: number; t1: number; n: number }
  let win: number | undefined
  let keys: Key[] = []
  let total = 0
  let cut = false
  let floor = from
  const req = store.index('bucket').openKeyCursor(from === -Infinity ? null : IDBKeyRange.lowerBound([from]))
  for (let c: IDBCursor | null; (c = await request(req)); c.continue()) {
    const [b, t0, t1, n] = c.key as [number, number, number, number]
    const w = windowOf(b)
    if (w !== win) {
      if (total > left) {
        cut = true
        break
      }
      // Every window before this one goes whole; this one's keys are all >= w.
      floor = w
      // The previous window fits in what is left to evict: it goes whole.
      for (const k of keys) store.delete(k.pk)
      left -= total
      ;[win, keys, total] = [w, [], 0]
      if (left === 0) break
    }
    keys.push({ pk: c.primaryKey, t0, t1, n })
    total += n
  }
  if (!cut && total <= left) {
    // The cursor ran out within what is left: the last window goes whole too.
    for (const k of keys) store.delete(k.pk)
    left -= total
  } else if (left > 0) {
    keys.sort((a, b) => a.t0 - b.t0)
    // Leading segments that end before the next one starts (one dense stream) and fit in what is
    // left hold exactly the oldest events: deleted by key, unread.
    let first = 0
    for (let k: Key | undefined; (k = keys[first]) && k.n <= left && k.t1 < (keys[first + 1]?.t0 ?? Infinity); first++) {
      store.delete(k.pk)
      left -= k.n
    }
    const segs: Segment[] = []
    let events: StoredRecord[] = []
    const want = left
    for (let i = want > 0 ? first : keys.length; i < keys.length; i++) {
      const k = keys[i]!
      segs.push((await request<Segment | undefined>(store.get(k.pk)))!)
      events = mergeBucket(segs, false)
      // Every unread segment starts after the want-th oldest read event: the cut is known.
      if (events.length >= want && (i + 1 === keys.length || events[want - 1]!.timestamp < keys[i + 1]!.t0)) break
    }
    const drop = new Set(events.slice(0, left).map((e) => e.id))
    for (const s of segs) left -= rewrite(store, s, (e) => drop.has(e.id))
  }
  return { evicted: excess - left, floor }
}

/** Segments holding an event that has expired (their earliest expiry has passed). */
const expiredSegments = (store: IDBObjectStore, now: number, max?: number): Promise<Segment[]> =>
  request(store.index('exp').getAll(IDBKeyRange.upperBound(now), max))

/** Deletes expired events from up to `maxSegments` segments whose earliest expiry has passed.
 *  Resolves with how many events were deleted and whether more such segments may remain. */
export async function sweepExpired(store: IDBObjectStore, now: number, maxSegments: number): Promise<{ expired: number; more: boolean }> {
  const segs = await expiredSegments(store, now, maxSegments)
  let expired = 0
  for (const s of segs) expired += rewrite(store, s, (e) => isExpired(e, now))
  return { expired, more: segs.length === maxSegments }
}

/** How many stored events have expired but are not swept yet, among the segments `keep` accepts:
 *  one index count, and only the segments holding an expired event are read (the sweep keeps them
 *  few). */
export async function countExpired(store: IDBObjectStore, now: number, keep: (s: Segment) => boolean = () => true): Promise<number> {
  if ((await request(store.index('exp').count(IDBKeyRange.upperBound(now)))) === 0) return 0
  let n = 0
  for (const s of await expiredSegments(store, now)) if (keep(s)) n += s.events.filter((e) => isExpired(e, now)).length
  return n
}

/** Deletes the events with these ids. Resolves with how many were stored. */
export async function deleteIds(store: IDBObjectStore, ids: readonly string[]): Promise<number> {
  const drop = new Set(ids)
  let n = 0
  for (const s of (await findStored(store, ids)).stored.values()) n += rewrite(store, s, (e) => drop.has(e.id))
  return n
}
