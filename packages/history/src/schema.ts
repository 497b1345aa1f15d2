// The IndexedDB layout. One object store keyed by event id (so an event that reaches several
// contexts is stored once), plus compound indexes whose trailing [seq, id] keeps equal-timestamp
// events in per-origin order and makes every index key unique (exact page continuation).
import type { DBSchema } from 'idb'
import type { TidingsEvent } from '@tidings/core'

export const STORE = 'events'
/** Every type ever written (key = type): lets a glob list its candidate types in one request. */
export const TYPES = 'types'

export const INDEX = {
  /** [type, timestamp, seq, id]: exact type + time range. */
  typeTime: 'type_time',
  /** [timestamp, seq, id]: time range, glob types, eviction of the oldest. */
  time: 'time',
  /** [correlationId, timestamp, seq, id]: a correlation chain in order (sparse). */
  correlation: 'correlation_time',
  /** expiresAt (sparse: events without a TTL are not in it). */
  expires: 'expires',
} as const

export const INDEX_KEYPATHS: Record<(typeof INDEX)[keyof typeof INDEX], string | string[]> = {
  type_time: ['type', 'timestamp', 'seq', 'id'],
  time: ['timestamp', 'seq', 'id'],
  correlation_time: ['correlationId', 'timestamp', 'seq', 'id'],
  expires: 'expiresAt',
}

/** What is stored: the envelope (data redacted) plus when it expires. */
export type StoredRecord = TidingsEvent & { expiresAt?: number }

export interface HistoryDB extends DBSchema {
  events: {
    key: string
    value: StoredRecord
    indexes: { type_time: IDBValidKey; time: IDBValidKey; correlation_time: IDBValidKey; expires: number }
  }
  types: { key: string; value: 1 }
}

/** Creates what is missing; safe on any older layout. */
export function createSchema(db: IDBDatabase, tx: IDBTransaction): void {
  const store = db.objectStoreNames.contains(STORE) ? tx.objectStore(STORE) : db.createObjectStore(STORE, { keyPath: 'id' })
  for (const [name, keyPath] of Object.entries(INDEX_KEYPATHS)) {
    if (!store.indexNames.contains(name)) store.createIndex(name, keyPath)
  }
  if (!db.objectStoreNames.contains(TYPES)) {
    db.createObjectStore(TYPES)
    // An older layout without the list: fill it from what is stored.
    const types = tx.objectStore(TYPES)
    const req = store.index(INDEX.typeTime).openKeyCursor()
    req.addEventListener('success', () => {
      const c = req.result
      if (!c) return
      const type = (c.key as IDBValidKey[])[0] as string
      types.put(1, type)
      c.continue([type, []])
    })
  }
}

export function hasSchema(db: IDBDatabase): boolean {
  if (!db.objectStoreNames.contains(STORE) || !db.objectStoreNames.contains(TYPES)) return false
  const store = db.transaction(STORE, 'readonly').objectStore(STORE)
  return Object.keys(INDEX_KEYPATHS).every((n) => store.indexNames.contains(n))
}

export function fromRecord(r: StoredRecord): TidingsEvent {
  if (r.expiresAt === undefined) return r
  const { expiresAt: _expiresAt, ...event } = r
  return event
}
