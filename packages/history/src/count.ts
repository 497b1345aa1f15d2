// count(q) from index keys where the indexes can answer, without reading events:
// - no query: the maintained count (meta.ts) minus expired events not swept yet;
// - an exact type and/or a time range (no where, no correlationId): the [type, bucket, n] or
//   [bucket, t0, n] keys of the windows the range covers whole are summed (a key walk, no
//   segment is read); only the one or two windows the range cuts are read, event by event;
// - a glob type: the same per matching type (the types store lists them).
// Anything else (where, correlationId) returns undefined: the caller counts a (sliced) read.
import { matchingTypes } from './glob.js'
import { countExpired } from './maintain.js'
import { META, readMeta } from './meta.js'
import type { Plan } from './plan.js'
import { isExpired } from './record.js'
import { request } from './requests.js'
import { STORE } from './schema.js'
import { BUCKET_MS, WINDOW, windowOf, type Segment } from './segment.js'

const sec = (t: number) => Math.floor(t / BUCKET_MS)

/** Live events of `type` (or every type) with from <= timestamp <= to. */
async function countWindow(db: IDBDatabase, type: string | undefined, from: number, to: number, now: number): Promise<number> {
  const store = db.transaction([STORE, META]).objectStore(STORE)
  const key = (b: number, ...rest: number[]): IDBValidKey => (type === undefined ? [b, ...rest] : [type, b, ...rest])
  // Windows the range covers whole (keys are seconds; a window's keys are its WINDOW seconds).
  const lo = from === -Infinity ? from : Math.ceil(from / (BUCKET_MS * WINDOW)) * WINDOW
  const hi = to === Infinity ? to : windowOf(sec(to)) - WINDOW
  const inside = (b: number) => windowOf(b) >= lo && windowOf(b) <= hi
  let n = 0
  if (lo <= hi) {
    const range = IDBKeyRange.bound(key(lo), key(hi + WINDOW - 1, Infinity))
    const req = store.index(type === undefined ? 'bucket' : 'type_bucket').openKeyCursor(range)
    for (let c: IDBCursor | null; (c = await request(req)); c.continue()) n += (c.key as number[]).at(-1)!
    n -= await countExpired(store, now, (s) => (type === undefined || s.type === type) && inside(s.bucket))
  }
  // The windows the range cuts, event by event.
  for (const w of new Set([windowOf(sec(from)), windowOf(sec(to))])) {
    if (!Number.isFinite(w) || (w >= lo && w <= hi)) continue
    const range = IDBKeyRange.bound(key(w), key(w + WINDOW - 1, Infinity))
    const segs = await request<Segment[]>(store.index(type === undefined ? 'bucket' : 'type_bucket').getAll(range))
    for (const s of segs) for (const e of s.events) if (e.timestamp >= from && e.timestamp <= to && !isExpired(e, now)) n++
  }
  return n
}

/** The count of `plan` from the indexes, or undefined when it needs a read. */
export async function countFromIndexes(db: IDBDatabase, plan: Plan, now: number): Promise<number | undefined> {
  let n: number | undefined
  if (plan.everything) {
    const tx = db.transaction([STORE, META])
    n = ((await readMeta(tx))?.n ?? 0) - (await countExpired(tx.objectStore(STORE), now))
  } else if (plan.glob && !plan.glob.where && plan.index === 'bucket') {
    const types = await matchingTypes(db, plan.glob.prefix, plan.glob.match)
    if (!types) return undefined
    n = 0
    for (const t of types) n += await countWindow(db, t, plan.from, plan.to, now)
  } else if (!plan.filter && plan.index !== 'corr') {
    n = await countWindow(db, plan.prefix, plan.from, plan.to, now)
  }
  return n === undefined ? undefined : Math.min(n, plan.limit)
}
