// Reads a planned query page by page: one request per page (getAll / getAllRecords), never a
// promise per record. Each page continues strictly after the last index key read, which is exact
// because every index key ends in the event id.
import type { TidingsEvent } from '@tidings/core'
import type { Plan } from './plan.ts'
import { fromRecord, STORE, type StoredRecord } from './schema.ts'

export const PAGE = 1000

type GetAllRecords = (opts: { query: IDBKeyRange | null; count?: number; direction?: IDBCursorDirection }) => IDBRequest<Array<{ value: StoredRecord }>>

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.addEventListener('success', () => resolve(req.result))
    req.addEventListener('error', () => reject(req.error))
  })
}

function fetchPage(db: IDBDatabase, plan: Plan, range: IDBKeyRange, count: number): Promise<StoredRecord[]> {
  const index = db.transaction(STORE, 'readonly').objectStore(STORE).index(plan.index)
  if (plan.direction === 'next') return request(index.getAll(range, count) as IDBRequest<StoredRecord[]>)
  const getAllRecords = (index as unknown as { getAllRecords?: GetAllRecords }).getAllRecords
  if (getAllRecords) {
    return request(getAllRecords.call(index, { query: range, count, direction: 'prev' })).then((rs) => rs.map((r) => r.value))
  }
  // Browsers without getAllRecords (before Chrome 141): a cursor, still one page per call.
  return new Promise((resolve, reject) => {
    const out: StoredRecord[] = []
    const req = index.openCursor(range, 'prev')
    req.addEventListener('error', () => reject(req.error))
    req.addEventListener('success', () => {
      const c = req.result
      if (!c) return resolve(out)
      out.push(c.value as StoredRecord)
      if (out.length >= count) resolve(out)
      else c.continue()
    })
  })
}

const keyOf = (plan: Plan, r: StoredRecord): IDBValidKey[] => plan.keyPath.map((f) => (r as unknown as Record<string, IDBValidKey>)[f]!)

/** Yields pages of live (unexpired, matching) events in plan order until the limit. */
export async function* readPages(getDb: () => Promise<IDBDatabase>, plan: Plan, now = Date.now()): AsyncGenerator<TidingsEvent[]> {
  let remaining = plan.limit
  let lower = plan.lower
  let upper = plan.upper
  let lowerOpen = false
  let upperOpen = false
  let first = true
  while (remaining > 0) {
    // Without in-memory filters the first page asks for exactly what is wanted.
    const count = first && !plan.filter ? Math.min(remaining, PAGE) : PAGE
    first = false
    const db = await getDb()
    const raw = await fetchPage(db, plan, IDBKeyRange.bound(lower, upper, lowerOpen, upperOpen), count)
    const out: TidingsEvent[] = []
    for (const r of raw) {
      if (r.expiresAt !== undefined && r.expiresAt <= now) continue
      if (plan.filter && !plan.filter(r)) continue
      out.push(fromRecord(r))
      if (--remaining === 0) break
    }
    if (out.length > 0) yield out
    if (raw.length < count) return
    const last = keyOf(plan, raw[raw.length - 1]!)
    if (plan.direction === 'next') {
      lower = last
      lowerOpen = true
    } else {
      upper = last
      upperOpen = true
    }
  }
}
