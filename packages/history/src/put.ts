// Putting segments, shared by the writer and the migration of the legacy layout. Every event id
// is in a unique index, so a segment whose ids collide with stored events (another context stored
// them first) fails alone with ConstraintError. The error is prevented, so the transaction goes
// on, and the segment is put again without the events that are stored.
import type { StoredRecord } from './record.js'
import { request } from './requests.js'
import { buildSegments, makeSegment, type Segment } from './segment.js'

/** Handles a put that threw (unclonable data, quota); may put a smaller segment instead. */
export type OnThrow = (seg: Segment, e: unknown) => Promise<void> | void

/** Parallel id lookups per round (findStored). */
const LOOKUPS_PER_ROUND = 16

/** Puts one segment. Resolves when it is stored, handed to `onThrow`, or failed with a request
 *  error (which aborts the transaction). */
export function putSegment(store: IDBObjectStore, seg: Segment, onThrow: OnThrow): Promise<void> {
  return new Promise((resolve) => {
    let req: IDBRequest
    try {
      req = store.put(seg)
    } catch (e) {
      return resolve(onThrow(seg, e))
    }
    req.addEventListener('success', () => resolve())
    req.addEventListener('error', (ev) => {
      if (req.error?.name !== 'ConstraintError') return resolve()
      // Handled: neither abort the transaction nor reach transaction-level listeners (idb's).
      ev.preventDefault()
      ev.stopPropagation()
      resolve(
        findStored(store, seg.ids).then(({ fresh }) => {
          const events = seg.events.filter((e) => fresh.has(e.id))
          if (events.length > 0) return putSegment(store, makeSegment(events), onThrow)
        }),
      )
    })
  })
}

/** Puts `records` as segments and lists their types that are not in `listed`. Returns the types
 *  of the records and a promise of every put (never unhandled: a failed request aborts the
 *  transaction, whose abort handler reports it). */
export function putRecords(
  store: IDBObjectStore,
  typeStore: IDBObjectStore,
  records: readonly StoredRecord[],
  listed: ReadonlySet<string>,
  onThrow: OnThrow,
): { types: Set<string>; done: Promise<unknown> } {
  const types = new Set<string>()
  const puts = buildSegments(records).map((seg) => (types.add(seg.type), putSegment(store, seg, onThrow)))
  for (const t of types) if (!listed.has(t)) typeStore.put(1, t)
  const done = Promise.all(puts)
  done.catch(() => {})
  return { types, done }
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
