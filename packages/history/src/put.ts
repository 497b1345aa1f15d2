// Putting segments, shared by the writer and the migration of the legacy layout. Every event id
// is in a unique index, so a segment whose ids collide with stored events (another context stored
// them first) fails alone with ConstraintError. The error is prevented, so the transaction goes
// on, and the segment is put again without the events that are stored.
import { lowerFloor, type Floor } from './meta.js'
import type { StoredRecord } from './record.js'
import { request } from './requests.js'
import { buildSegments, compareEvents, isWide, makeSegment, WIDE_MAX, type Segment } from './segment.js'

/** Handles a put that threw (unclonable data, quota); may put a smaller segment instead.
 *  Resolves with how many events it stored. */
export type OnThrow = (seg: Segment, e: unknown) => Promise<number> | number

/** Parallel id lookups per round (findStored). */
const LOOKUPS_PER_ROUND = 16
/** A new segment smaller than this is merged into a small stored segment of its type and bucket
 *  (compaction at write time: events arriving one per transaction share a record). */
export const MERGE_BELOW = 64
/** A merged segment holds at most this many events. A merge rewrites the target whole, so an
 *  event arriving alone (a persistent ack) pays for up to this many: at 256, an ack cost about
 *  1.4x the CPU (IndexedDB backend 6.7-6.9 ms against 4.4-4.8, page 4.8 against 3.7-4.0, 100k
 *  stored, cpu-trace.mjs). */
export const MERGE_MAX = 64
/** Batches with more segments than this (imports, bursts) skip the merge lookup. */
const MERGE_BATCH_MAX = 16

/** Puts one segment. Resolves with how many of its events are stored (0 when it failed with a
 *  request error, which aborts the transaction). */
export function putSegment(store: IDBObjectStore, seg: Segment, onThrow: OnThrow): Promise<number> {
  return new Promise((resolve) => {
    let req: IDBRequest
    try {
      req = store.put(seg)
    } catch (e) {
      return resolve(onThrow(seg, e))
    }
    req.addEventListener('success', () => resolve(seg.n))
    req.addEventListener('error', (ev) => {
      if (req.error?.name !== 'ConstraintError') return resolve(0)
      // Handled: neither abort the transaction nor reach transaction-level listeners (idb's).
      ev.preventDefault()
      ev.stopPropagation()
      resolve(
        findStored(store, seg.ids).then(({ fresh }) => {
          const events = seg.events.filter((e) => fresh.has(e.id))
          return events.length > 0 ? putSegment(store, makeSegment(events, undefined, isWide(seg.bucket)), onThrow) : 0
        }),
      )
    })
  })
}

/** The smallest stored segment of `s`'s type and bucket with room for `s` within `max` events
 *  (the [type, bucket, n] index orders them by n: only that one is read), if any. */
const withRoom = async (index: IDBIndex, s: Segment, max: number): Promise<Segment | undefined> =>
  (await request<Segment[]>(index.getAll(IDBKeyRange.bound([s.type, s.bucket, 0], [s.type, s.bucket, max - s.n]), 1)))[0]

/** Puts a small segment into a small stored segment of the same type and bucket when there is
 *  one with room, keeping that segment's key; otherwise, or when the merged put fails for any
 *  reason, puts it alone (putSegment: collisions and unclonable data are handled there). Ids the
 *  target already holds are not stored twice. A wide segment whose span already holds a full wide
 *  one (the type is no longer sparse there) goes in as 10 s segments instead: a span keeps about
 *  WIDE_MAX events in wide segments, so a type that turns dense is read in 10 s windows like any
 *  dense type. */
export async function putMerging(store: IDBObjectStore, seg: Segment, onThrow: OnThrow): Promise<number> {
  const index = store.index('type_bucket')
  if (!isWide(seg.bucket)) return putInto(store, seg, await withRoom(index, seg, MERGE_MAX), onThrow)
  // In one round trip: a wide segment of the span with room, whether a full one is there (a
  // count: no value is read), and the 10 s segments with room its events go to if one is.
  const parts = buildSegments(seg.events, true)
  const full = IDBKeyRange.bound([seg.type, seg.bucket, WIDE_MAX - seg.n], [seg.type, seg.bucket, Infinity], true)
  const [target, nFull, ...targets] = await Promise.all([withRoom(index, seg, WIDE_MAX), request(index.count(full)), ...parts.map((p) => withRoom(index, p, MERGE_MAX))])
  if (target || nFull === 0) return putInto(store, seg, target as Segment | undefined, onThrow)
  return (await Promise.all(parts.map((p, i) => putInto(store, p, targets[i] as Segment | undefined, onThrow)))).reduce((x, y) => x + y, 0)
}

/** Puts `seg` merged into `target` (found with room), or alone without one. */
function putInto(store: IDBObjectStore, seg: Segment, target: Segment | undefined, onThrow: OnThrow): Promise<number> | number {
  if (!target) return putSegment(store, seg, onThrow)
  const have = new Set(target.ids)
  const fresh = seg.events.filter((e) => !have.has(e.id))
  if (fresh.length === 0) return 0
  const merged = makeSegment([...target.events, ...fresh].sort(compareEvents), target.k, isWide(target.bucket))
  return new Promise((resolve) => {
    let req: IDBRequest
    try {
      req = store.put(merged)
    } catch {
      return resolve(putSegment(store, seg, onThrow))
    }
    req.addEventListener('success', () => resolve(fresh.length))
    req.addEventListener('error', (ev) => {
      // A failed put leaves the target as it was; the segment goes in alone.
      ev.preventDefault()
      ev.stopPropagation()
      resolve(putSegment(store, seg, onThrow))
    })
  })
}

/** Puts `records` as segments and lists their types that are not in `listed`. Returns the types
 *  of the records, the lowest [bucket, t0] put (a merge keeps a key at or above it), and a promise of how many events were stored (never unhandled: a failed
 *  request aborts the transaction, whose abort handler reports it). `merge`: small segments of
 *  small batches go through putMerging. */
export function putRecords(
  store: IDBObjectStore,
  typeStore: IDBObjectStore,
  records: readonly StoredRecord[],
  listed: ReadonlySet<string>,
  onThrow: OnThrow,
  merge = false,
): { types: Set<string>; done: Promise<number>; low: Floor } {
  const types = new Set<string>()
  const segs = buildSegments(records)
  const low = segs.reduce<Floor>((m, s) => lowerFloor(m, [s.bucket, s.t0]), [Infinity, 0])
  const small = merge && segs.length <= MERGE_BATCH_MAX
  const puts = segs.map((seg) => (types.add(seg.type), (small && seg.n < MERGE_BELOW ? putMerging : putSegment)(store, seg, onThrow)))
  for (const t of types) if (!listed.has(t)) typeStore.put(1, t)
  const done = Promise.all(puts).then((ns) => ns.reduce((a, b) => a + b, 0))
  done.catch(() => {})
  return { types, done, low }
}

/** The stored segments (by key) holding any of `ids`, and the ids that are not stored. Each
 *  lookup returns the stored segment holding an id, which settles all of that segment's ids at
 *  once: when another context stored the same events (the usual cause of a collision), or for
 *  the events of a query being deleted, a few lookups settle a whole segment. */
export async function findStored(store: IDBObjectStore, ids: Iterable<string>): Promise<{ stored: Map<number, Segment>; fresh: Set<string> }> {
  const index = store.index('ids')
  const left = new Set(ids)
  const stored = new Map<number, Segment>()
  const fresh = new Set<string>()
  while (left.size > 0) {
    const probe: string[] = []
    for (const id of left) if (probe.push(id) === LOOKUPS_PER_ROUND) break
    const found = await Promise.all(probe.map((id) => request<Segment | undefined>(index.get(id))))
    probe.forEach((id, i) => {
      const seg = found[i]
      if (seg) {
        stored.set(seg.k!, seg)
        for (const x of seg.ids) left.delete(x)
      } else if (left.delete(id)) fresh.add(id)
    })
  }
  return { stored, fresh }
}
