// count(q) from index keys where the indexes can answer, without reading events:
// - no query: the maintained count (meta.ts) minus expired events not swept yet;
// - an exact type and/or a time window (no where, no correlationId): the [type, bucket, n] or
//   [bucket, n] keys of the buckets the window covers whole are summed (a key walk, no segment is
//   read); only the one or two buckets the window cuts are read and counted event by event;
// - a glob type: the same per matching type (the types store lists them).
// Anything else (where, correlationId) returns undefined: the caller counts a (sliced) read.
import { matchingTypes } from './glob.js'
import { countExpired } from './maintain.js'
import { META, readMeta } from './meta.js'
import type { Plan } from './plan.js'
import { isExpired } from './record.js'
import { request } from './requests.js'
import { STORE } from './schema.js'
import { bucketOf, type Segment } from './segment.js'

/** Live events of `type` (or every type) with from <= timestamp <= to. */
async function countWindow(db: IDBDatabase, type: string | undefined, from: number, to: number, now: number): Promise<number> {
  const store = db.transaction([STORE, META]).objectStore(STORE)
  const key = (b: number, ...rest: number[]): IDBValidKey => (type === undefined ? [b, ...rest] : [type, b, ...rest])
  const b0 = bucketOf(from)
  const b1 = bucketOf(to)
  // Whole buckets: every bucket strictly inside, plus an end the window leaves open.
  const lo = from === -Infinity ? b0 : b0 + 1
  const hi = to === Infinity ? b1 : b1 - 1
  let n = 0
  if (lo <= hi) {
    const req = store.index(type === undefined ? 'bucket_n' : 'type_bucket_n').openKeyCursor(IDBKeyRange.bound(key(lo), key(hi, Infinity)))
    for (let c: IDBCursor | null; (c = await request(req)); c.continue()) n += (c.key as number[]).at(-1)!
    n -= await countExpired(store, now, (s) => (type === undefined || s.type === type) && s.bucket >= lo && s.bucket <= hi)
  }
  // The cut buckets, event by event.
  for (const b of new Set([b0, b1])) {
    if (b >= lo && b <= hi) continue
    const segs = await request<Segment[]>(store.index(type === undefined ? 'bucket' : 'type_bucket').getAll(type === undefined ? b : [type, b]))
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
