// Changes to stored segments inside a readwrite transaction: evict the oldest events, delete
// expired ones, delete chosen ids. A segment that loses some events is rewritten under its key
// (indexes follow), one that loses all is deleted. Only IndexedDB requests are awaited, so the
// transaction stays active throughout.
import { request } from './reader.js'
import { INDEX } from './schema.js'
import { mergeBucket, without, type Segment } from './segment.js'
import type { StoredRecord } from './schema.js'

function rewrite(store: IDBObjectStore, seg: Segment, drop: (e: StoredRecord) => boolean): number {
  const { kept, removed } = without(seg, drop)
  if (removed === 0) return 0
  if (kept) store.put(kept)
  else store.delete(seg.k!)
  return removed
}

/** How many events are stored (one index entry per event id). */
export const countEvents = (store: IDBObjectStore): Promise<number> => request(store.index(INDEX.ids).count())

/** Deletes the `excess` oldest events (by timestamp, seq, id), exactly: whole segments of the
 *  oldest buckets, and the boundary bucket's segments rewritten. Resolves with how many. */
export async function evictOldest(store: IDBObjectStore, excess: number): Promise<number> {
  const index = store.index(INDEX.bucket)
  let left = excess
  let after: number | undefined
  while (left > 0) {
    const first = (await request(index.get(after === undefined ? IDBKeyRange.lowerBound(Number.NEGATIVE_INFINITY) : IDBKeyRange.lowerBound(after, true)))) as Segment | undefined
    if (!first) break
    after = first.bucket
    const segs = (await request(index.getAll(IDBKeyRange.only(first.bucket)))) as Segment[]
    const drop = new Set<string>()
    for (const e of mergeBucket(segs, false)) {
      if (drop.size === left) break
      drop.add(e.id)
    }
    for (const s of segs) left -= rewrite(store, s, (e) => drop.has(e.id))
  }
  return excess - left
}

/** Deletes expired events from up to `maxSegments` segments whose earliest expiry has passed.
 *  Resolves with how many events were deleted and whether more such segments may remain. */
export async function sweepExpired(store: IDBObjectStore, now: number, maxSegments: number): Promise<{ expired: number; more: boolean }> {
  const segs = (await request(store.index(INDEX.exp).getAll(IDBKeyRange.upperBound(now), maxSegments))) as Segment[]
  let expired = 0
  for (const s of segs) expired += rewrite(store, s, (e) => e.expiresAt !== undefined && e.expiresAt <= now)
  return { expired, more: segs.length === maxSegments }
}

/** How many stored events have expired but are not swept yet. */
export async function countExpired(store: IDBObjectStore, now: number): Promise<number> {
  const segs = (await request(store.index(INDEX.exp).getAll(IDBKeyRange.upperBound(now)))) as Segment[]
  let n = 0
  for (const s of segs) for (const e of s.events) if (e.expiresAt !== undefined && e.expiresAt <= now) n++
  return n
}

/** Deletes the events with these ids. Resolves with how many were stored. */
export async function deleteIds(store: IDBObjectStore, ids: readonly string[]): Promise<number> {
  const index = store.index(INDEX.ids)
  const found = await Promise.all(ids.map((id) => request(index.get(id)) as Promise<Segment | undefined>))
  const bySegment = new Map<number, { seg: Segment; drop: Set<string> }>()
  for (let i = 0; i < ids.length; i++) {
    const seg = found[i]
    if (!seg) continue
    let entry = bySegment.get(seg.k!)
    if (!entry) bySegment.set(seg.k!, (entry = { seg, drop: new Set() }))
    entry.drop.add(ids[i]!)
  }
  let n = 0
  for (const { seg, drop } of bySegment.values()) n += rewrite(store, seg, (e) => drop.has(e.id))
  return n
}
