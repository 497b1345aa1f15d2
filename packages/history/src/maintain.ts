// Changes to stored segments inside a readwrite transaction: evict the oldest events, delete
// expired ones, delete chosen ids. A segment that loses some events is rewritten under its key
// (indexes follow), one that loses all is deleted. Only IndexedDB requests are awaited, so the
// transaction stays active throughout.
import { findStored } from './put.js'
import { isExpired, type StoredRecord } from './record.js'
import { request } from './requests.js'
import { makeSegment, mergeBucket, type Segment } from './segment.js'

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

/** How many events are stored (one index entry per event id). */
export const countEvents = (store: IDBObjectStore): Promise<number> => request(store.index('ids').count())

/** Deletes the `excess` oldest events (by timestamp, seq, id), exactly: whole segments of the
 *  oldest buckets, and the boundary bucket's segments rewritten. Resolves with how many. */
export async function evictOldest(store: IDBObjectStore, excess: number): Promise<number> {
  const index = store.index('bucket')
  let left = excess
  let first: Segment | undefined
  while (left > 0 && (first = await request(index.get(IDBKeyRange.lowerBound(first?.bucket ?? -Infinity, first !== undefined))))) {
    const segs = await request<Segment[]>(index.getAll(first.bucket))
    const drop = new Set(mergeBucket(segs, false).slice(0, left).map((e) => e.id))
    for (const s of segs) left -= rewrite(store, s, (e) => drop.has(e.id))
  }
  return excess - left
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

/** How many stored events have expired but are not swept yet. */
export async function countExpired(store: IDBObjectStore, now: number): Promise<number> {
  let n = 0
  for (const s of await expiredSegments(store, now)) n += s.events.filter((e) => isExpired(e, now)).length
  return n
}

/** Deletes the events with these ids. Resolves with how many were stored. */
export async function deleteIds(store: IDBObjectStore, ids: readonly string[]): Promise<number> {
  const drop = new Set(ids)
  let n = 0
  for (const s of (await findStored(store, ids)).stored.values()) n += rewrite(store, s, (e) => drop.has(e.id))
  return n
}
