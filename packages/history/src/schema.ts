// The IndexedDB layout: events are stored in segments (see segment.ts), one record per type per
// write batch per 1 s bucket, with indexes over the segments:
// - type_bucket [type, bucket, n]: exact type + time; n (the segment's event count) lets count()
//   sum a range from keys alone, without reading a segment;
// - bucket [bucket, t0, t1, n]: time ranges, globs over many types, counts, and eviction of the
//   oldest (t0 and t1, the first and last timestamp, order a window's segments and tell which
//   overlap, without reading them);
// - corr [correlationId, bucket] (multiEntry, one entry per distinct correlationId): chains;
// - exp: the segment's earliest expiresAt (sparse), for the TTL sweep;
// - ids (multiEntry, unique): every event id, so an event is stored once by id even when several
//   contexts share the database;
// The `meta` store holds the maintained event count (see meta.ts).
import { META } from './meta.js'
import { putRecords } from './put.js'
import type { StoredRecord } from './record.js'
import { request } from './requests.js'

export const STORE = 'segments'
/** The layout before segments: one record per event, keyed by id. Migrated on open. */
export const LEGACY_STORE = 'events'
/** Every type ever written (key = type): lets a glob list its candidate types in one request. */
export const TYPES = 'types'

export type IndexName = 'type_bucket' | 'bucket' | 'corr' | 'exp' | 'ids'

const INDEXES: Array<[IndexName, string | string[], IDBIndexParameters?]> = [
  ['type_bucket', ['type', 'bucket', 'n']],
  ['bucket', ['bucket', 't0', 't1', 'n']],
  ['corr', 'corr', { multiEntry: true }],
  ['exp', 'exp'],
  ['ids', 'ids', { multiEntry: true, unique: true }],
]

/** Events per read while migrating the legacy store. */
const MIGRATE_PAGE = 5000

/** Creates what is missing; safe on any older layout. A legacy `events` store (one record per
 *  event) is migrated into segments and deleted, inside the upgrade transaction: nothing stored
 *  is lost, and a failure aborts the upgrade (the old layout stays as it was). */
export function createSchema(db: IDBDatabase, tx: IDBTransaction): void {
  const has = (name: string) => db.objectStoreNames.contains(name)
  const store = has(STORE) ? tx.objectStore(STORE) : db.createObjectStore(STORE, { keyPath: 'k', autoIncrement: true })
  for (const [name, keyPath, options] of INDEXES) {
    // An index of an older layout (type_bucket and bucket without n and t0) is rebuilt.
    if (store.indexNames.contains(name) && !sameKeyPath(store.index(name), keyPath)) store.deleteIndex(name)
    if (!store.indexNames.contains(name)) store.createIndex(name, keyPath, options)
  }
  // The count is filled on open (meta.ts heal), after any migration below has put its segments.
  if (!has(META)) db.createObjectStore(META)
  const newTypes = !has(TYPES)
  const types = newTypes ? db.createObjectStore(TYPES) : tx.objectStore(TYPES)
  // A failed request aborts the upgrade by itself, and so does a put that throws (below): a
  // rejection here needs no handling.
  ;(has(LEGACY_STORE) ? migrateLegacy(db, tx, store, types) : newTypes ? fillTypes(store, types) : undefined)?.catch(() => {})
}

/** Reads the legacy store in pages and puts its events as segments. Segments of one page may
 *  share a bucket with another page's; readers merge a bucket's segments. The legacy store is
 *  keyed by id, so its events never collide with each other, but they may with segments already
 *  stored (a tab running the previous version re-created the legacy store after a migration):
 *  those are skipped (see put.ts), so the upgrade never aborts on them. */
async function migrateLegacy(db: IDBDatabase, tx: IDBTransaction, store: IDBObjectStore, types: IDBObjectStore): Promise<void> {
  const legacy = tx.objectStore(LEGACY_STORE)
  const listed = new Set<string>()
  for (let after: IDBKeyRange | null = null; ; ) {
    const records = await request<StoredRecord[]>(legacy.getAll(after, MIGRATE_PAGE))
    for (const t of putRecords(store, types, records, listed, () => (tx.abort(), 0)).types) listed.add(t)
    if (records.length < MIGRATE_PAGE) break
    after = IDBKeyRange.lowerBound(records.at(-1)!.id, true)
  }
  db.deleteObjectStore(LEGACY_STORE)
}

/** Lists the types of stored segments (a database without the types store). */
async function fillTypes(store: IDBObjectStore, types: IDBObjectStore): Promise<void> {
  const req = store.index('type_bucket').openKeyCursor()
  for (let c: IDBCursor | null; (c = await request(req)); ) {
    const type = (c.key as [string, number])[0]
    types.put(1, type)
    c.continue([type, []])
  }
}

export function hasSchema(db: IDBDatabase): boolean {
  const names = db.objectStoreNames
  if (!names.contains(STORE) || !names.contains(TYPES) || !names.contains(META) || names.contains(LEGACY_STORE)) return false
  const store = db.transaction(STORE).objectStore(STORE)
  return INDEXES.every(([name, keyPath]) => store.indexNames.contains(name) && sameKeyPath(store.index(name), keyPath))
}

const sameKeyPath = (index: IDBIndex, keyPath: string | string[]): boolean => JSON.stringify(index.keyPath) === JSON.stringify(keyPath)
