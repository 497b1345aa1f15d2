// The IndexedDB layout: events are stored in segments (see segment.ts), one record per type per
// write batch per 1 s bucket, with indexes over the segments:
// - type_bucket [type, bucket]: exact type + time;
// - bucket: time ranges, globs over many types, eviction of the oldest;
// - corr [correlationId, bucket] (multiEntry, one entry per distinct correlationId): chains;
// - exp: the segment's earliest expiresAt (sparse), for the TTL sweep;
// - ids (multiEntry, unique): every event id, so an event is stored once by id even when several
//   contexts share the database, and the number of events is one index count.
import type { DBSchema } from 'idb'
import type { TidingsEvent } from '@tidings/core'
import { buildSegments, makeSegment, type Segment } from './segment.js'

export const STORE = 'segments'
/** The layout before segments: one record per event, keyed by id. Migrated on open. */
export const LEGACY_STORE = 'events'
/** Every type ever written (key = type): lets a glob list its candidate types in one request. */
export const TYPES = 'types'

export const INDEX = {
  typeBucket: 'type_bucket',
  bucket: 'bucket',
  corr: 'corr',
  exp: 'exp',
  ids: 'ids',
} as const
export type IndexName = (typeof INDEX)[keyof typeof INDEX]

const INDEXES: Record<IndexName, { keyPath: string | string[]; options?: IDBIndexParameters }> = {
  type_bucket: { keyPath: ['type', 'bucket'] },
  bucket: { keyPath: 'bucket' },
  corr: { keyPath: 'corr', options: { multiEntry: true } },
  exp: { keyPath: 'exp' },
  ids: { keyPath: 'ids', options: { multiEntry: true, unique: true } },
}

/** What is stored per event: the envelope (data redacted) plus when it expires. */
export type StoredRecord = TidingsEvent & { expiresAt?: number }

export interface HistoryDB extends DBSchema {
  segments: {
    key: number
    value: Segment
    indexes: { type_bucket: [string, number]; bucket: number; corr: [string, number]; exp: number; ids: string }
  }
  types: { key: string; value: 1 }
}

/** Events per read while migrating the legacy store. */
const MIGRATE_PAGE = 5000

/** Creates what is missing; safe on any older layout. A legacy `events` store (one record per
 *  event) is migrated into segments and deleted, inside the upgrade transaction: nothing stored
 *  is lost, and a failure aborts the upgrade (the old layout stays as it was). */
export function createSchema(db: IDBDatabase, tx: IDBTransaction): void {
  const store = db.objectStoreNames.contains(STORE) ? tx.objectStore(STORE) : db.createObjectStore(STORE, { keyPath: 'k', autoIncrement: true })
  for (const [name, { keyPath, options }] of Object.entries(INDEXES)) {
    if (!store.indexNames.contains(name)) store.createIndex(name, keyPath, options)
  }
  const newTypes = !db.objectStoreNames.contains(TYPES)
  const types = newTypes ? db.createObjectStore(TYPES) : tx.objectStore(TYPES)
  if (db.objectStoreNames.contains(LEGACY_STORE)) migrateLegacy(db, tx.objectStore(LEGACY_STORE), store, types)
  else if (newTypes) fillTypes(store, types)
}

function migrateLegacy(db: IDBDatabase, legacy: IDBObjectStore, store: IDBObjectStore, types: IDBObjectStore): void {
  const seen = new Set<string>()
  const page = (after: IDBValidKey | undefined) => {
    const req = legacy.getAll(after === undefined ? null : IDBKeyRange.lowerBound(after, true), MIGRATE_PAGE)
    req.addEventListener('success', () => {
      const records = req.result as StoredRecord[]
      if (records.length === 0) {
        db.deleteObjectStore(LEGACY_STORE)
        return
      }
      // Segments of one page may share a bucket with another page's; readers merge a bucket's
      // segments. The legacy store is keyed by id, so its events never collide with each other,
      // but they may with segments already stored (a tab running the previous version re-created
      // the legacy store after a migration): such a segment is put again event by event, and
      // events already stored are skipped, so the upgrade never aborts on them.
      for (const s of buildSegments(records).segments) putSkippingStored(store, s, () => s.events.forEach((e) => putSkippingStored(store, makeSegment([e]))))
      for (const r of records) {
        if (!seen.has(r.type)) {
          seen.add(r.type)
          types.put(1, r.type)
        }
      }
      if (records.length < MIGRATE_PAGE) db.deleteObjectStore(LEGACY_STORE)
      else page(records[records.length - 1]!.id)
    })
  }
  page(undefined)
}

function putSkippingStored(store: IDBObjectStore, seg: Segment, onCollision?: () => void): void {
  const req = store.put(seg)
  req.addEventListener('error', (ev) => {
    if (req.error?.name !== 'ConstraintError') return
    // Handled: neither abort the upgrade nor reach transaction-level listeners (idb's).
    ev.preventDefault()
    ev.stopPropagation()
    onCollision?.()
  })
}

/** Lists the types of stored segments (a database without the types store). */
function fillTypes(store: IDBObjectStore, types: IDBObjectStore): void {
  const req = store.index(INDEX.typeBucket).openKeyCursor()
  req.addEventListener('success', () => {
    const c = req.result
    if (!c) return
    const type = (c.key as IDBValidKey[])[0] as string
    types.put(1, type)
    c.continue([type, []])
  })
}

export function hasSchema(db: IDBDatabase): boolean {
  if (!db.objectStoreNames.contains(STORE) || !db.objectStoreNames.contains(TYPES) || db.objectStoreNames.contains(LEGACY_STORE)) return false
  const store = db.transaction(STORE, 'readonly').objectStore(STORE)
  return Object.keys(INDEXES).every((n) => store.indexNames.contains(n))
}

export function fromRecord(r: StoredRecord): TidingsEvent {
  if (r.expiresAt === undefined) return r
  const { expiresAt: _expiresAt, ...event } = r
  return event
}
