// The maintained event count: one record in the `meta` store, updated in the same readwrite
// transaction as every change to the segments (write, eviction, sweep, clear, delete), so an
// aborted transaction rolls both back together. `count()` and `maxEvents` read it in one request
// instead of counting the `ids` index (which costs time in proportion to everything stored).
//
// `k` is the highest segment key this bookkeeping has seen. Keys come from the store's key
// generator, which never reuses or lowers a key, so a stored key above `k` means code that does not
// keep the count (an older version of this package in another tab) wrote segments: the count is
// then rebuilt once on open (heal), from the `ids` index.
import { request, txDone } from './requests.js'

export const META = 'meta'
const KEY = 'count'

export interface Meta {
  /** Events stored (expired ones not swept yet included). */
  n: number
  /** Highest segment key accounted for (0: none). */
  k: number
  /** No stored segment has a bucket below this (absent: unknown). Eviction seeks here instead of
   *  walking from the start of the index, past the entries it deleted before (LevelDB keeps
   *  them as tombstones until it compacts). */
  b?: number
  /** No stored segment keyed `b` starts before this timestamp: eviction seeks to [b, t], past
   *  the index entries of what it rewrote in that window (evict.ts). */
  t?: number
}

/** The highest key in the segments store, or 0. One request. */
export async function lastKey(store: IDBObjectStore): Promise<number> {
  const c = await request(store.openKeyCursor(null, 'prev'))
  return (c?.primaryKey as number | undefined) ?? 0
}

/** A lower bound on the `bucket` index keys of live segments, [bucket, t0]: itself an index key. */
export type Floor = [b: number, t: number]

/** The lower of two floors (by index key order). */
export const lowerFloor = (a: Floor, c: Floor): Floor => (indexedDB.cmp(a, c) < 1 ? a : c)

export const readMeta = async (tx: IDBTransaction): Promise<Meta | undefined> => request(tx.objectStore(META).get(KEY))

/** Adds `delta` events (negative: removed) in `tx`. Resolves with the new count. */
export async function bump(tx: IDBTransaction, delta: number): Promise<number> {
  const m = (await readMeta(tx)) ?? { n: 0, k: 0 }
  if (delta) setMeta(tx, { ...m, n: Math.max(0, m.n + delta) })
  return m.n
}

export const setMeta = (tx: IDBTransaction, m: Meta): void => void tx.objectStore(META).put(m, KEY)

/** Rebuilds the count when it is missing or when segments were put by code that does not keep it
 *  (or they were all cleared by it). Runs once per open, in one readwrite transaction: O(1) when
 *  the count is consistent, one `ids` index count otherwise. */
export async function heal(db: IDBDatabase, storeName: string): Promise<void> {
  const tx = db.transaction([storeName, META], 'readwrite')
  const done = txDone(tx)
  const store = tx.objectStore(storeName)
  const [m, k] = await Promise.all([readMeta(tx), lastKey(store)])
  if (!m || k > m.k || (!k && m.n)) setMeta(tx, { n: await request(store.index('ids').count()), k })
  await done
}
