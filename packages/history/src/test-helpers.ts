// Helpers shared by the browser tests (not exported from the package).
import type { TidingsEvent } from '@tidings/core'
import { afterEach } from 'vitest'
import { openHistory, type History } from './index.js'
import { compareEvents, type Segment } from './segment.js'

let n = 0
export const uniqueDb = (label: string): string => `test-${label}-${Date.now()}-${n++}-${Math.random().toString(36).slice(2, 8)}`

/** Reads every stored event through a separate raw connection (what another tab would see),
 *  out of its segments, in (timestamp, seq, id) order. */
export function readRaw(dbName: string): Promise<Array<TidingsEvent & { expiresAt?: number }>> {
  return readSegments(dbName).then((segs) => segs.flatMap((s) => s.events).sort(compareEvents))
}

/** Every stored segment, raw, in key order. */
export function readSegments(dbName: string): Promise<Segment[]> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(dbName)
    open.addEventListener('error', () => reject(open.error))
    open.addEventListener('success', () => {
      const db = open.result
      if (!db.objectStoreNames.contains('segments')) {
        db.close()
        return resolve([])
      }
      const req = db.transaction('segments', 'readonly').objectStore('segments').getAll()
      req.addEventListener('success', () => {
        db.close()
        resolve(req.result as Segment[])
      })
      req.addEventListener('error', () => reject(req.error))
    })
  })
}

export function deleteDb(dbName: string): Promise<void> {
  return new Promise((resolve) => {
    const req = indexedDB.deleteDatabase(dbName)
    req.addEventListener('success', () => resolve())
    req.addEventListener('error', () => resolve())
    req.addEventListener('blocked', () => resolve())
  })
}

let seq = 0
/** A valid envelope with a chosen type/timestamp, for imports with known timing. */
export function envelope(type: string, timestamp: number, data: unknown = {}, extra: Partial<TidingsEvent> = {}): TidingsEvent {
  const s = seq++
  return { id: `imp:${s}`, type, timestamp, version: 1, data, origin: 'imp', seq: s, ...extra }
}

/** In an upgrade: the layout before segments (one record per event keyed by id, four indexes),
 *  for migration tests. */
export function createLegacyEventsStore(db: IDBDatabase): IDBObjectStore {
  const store = db.createObjectStore('events', { keyPath: 'id' })
  store.createIndex('type_time', ['type', 'timestamp', 'seq', 'id'])
  store.createIndex('time', ['timestamp', 'seq', 'id'])
  store.createIndex('correlation_time', ['correlationId', 'timestamp', 'seq', 'id'])
  store.createIndex('expires', 'expiresAt')
  return store
}

/** Histories for one test file: each on its own database, closed and deleted after each test. */
export function historyHarness(): {
  open(label: string, opts?: Parameters<typeof openHistory>[0]): { h: History; dbName: string }
  opened: Array<{ h: History; dbName: string }>
} {
  const opened: Array<{ h: History; dbName: string }> = []
  afterEach(async () => {
    for (const { h, dbName } of opened.splice(0)) {
      await h.close()
      await deleteDb(dbName)
    }
  })
  return {
    opened,
    open(label, opts = {}) {
      const dbName = uniqueDb(label)
      const h = openHistory({ dbName, ...opts })
      opened.push({ h, dbName })
      return { h, dbName }
    },
  }
}
