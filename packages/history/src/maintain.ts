// Changes to stored segments inside a readwrite transaction: delete expired events and chosen ids
// (eviction of the oldest: evict.ts). A segment that loses some events is rewritten under its key
// (indexes follow), one that loses all is deleted. Only IndexedDB requests are awaited, so the
// transaction stays active throughout.
import { findStored } from './put.js'
import { isExpired, type StoredRecord } from './record.js'
import { request } from './requests.js'
import { isWide, makeSegment, type Segment } from './segment.js'

/** Rewrites `seg` without the events `drop` selects (deletes it when none is left). Returns how
 *  many it dropped. */
export function rewrite(store: IDBObjectStore, seg: Segment, drop: (e: StoredRecord) => boolean): number {
  const kept = seg.events.filter((e) => !drop(e))
  const removed = seg.events.length - kept.length
  if (removed > 0) {
    if (kept.length > 0) store.put(makeSegment(kept, seg.k, isWide(seg.bucket)))
    else store.delete(seg.k!)
  }
  return removed
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
