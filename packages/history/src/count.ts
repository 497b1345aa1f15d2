// count(q) from index keys where the indexes can answer, without reading events:
// - no query: the maintained count (meta.ts) minus expired events not swept yet;
// - an exact type and/or a time range (no where, no correlationId): the [type, bucket, n] or
//   [bucket, t0, n] keys of the groups (windows, or WIDE spans holding a wide segment) the range
//   covers whole are summed (a key walk, no segment is read); only the one or two groups the
//   range cuts are read, event by event;
// - a glob type: the same per matching type (the types store lists them).
// Anything else (where, correlationId) returns undefined: the caller counts a (sliced) read.
import { matchingTypes } from './glob.js'
import { countExpired } from './maintain.js'
import { META, readMeta } from './meta.js'
import type { Plan } from './plan.js'
import { isExpired } from './record.js'
import { request } from './requests.js'
import { STORE } from './schema.js'
import { BUCKET_MS, WIDE, wideOf, WINDOW, windowOf, type Segment } from './segment.js'

const sec = (t: number) => Math.floor(t / BUCKET_MS)

/** Live events of `type` (or every type) with from <= timestamp <= to. */
async function countWindow(db: IDBDatabase, type: string | undefined, from: number, to: number, now: number): Promise<number> {
  const store = db.transaction([STORE, META]).objectStore(STORE)
  const index = store.index(type === undefined ? 'bucket' : 'type_bucket')
  const key = (b: number, ...rest: number[]): IDBValidKey => (type === undefined ? [b, ...rest] : [type, b, ...rest])
  /** Every key of the groups starting at second g0 up to (not including) g1. */
  const keys = (g0: number, g1: number) => IDBKeyRange.bound(key(g0 - 0.5), key(g1 - 1, Infinity))
  // The group holding timestamp t: its WIDE span when the span has a wide segment (one key count),
  // else its window; [first second, end).
  const edge = async (t: number): Promise<[number, number] | undefined> => {
    if (!Number.isFinite(t)) return undefined
    const w = wideOf(sec(t))
    if ((await request(index.count(IDBKeyRange.bound(key(w - 0.5), key(w - 0.5, Infinity))))) > 0) return [w, w + WIDE]
    return [windowOf(sec(t)), windowOf(sec(t)) + WINDOW]
  }
  const [a, z] = await Promise.all([edge(from), edge(to)])
  // Groups the range covers whole, from second lo to hi (exclusive): their keys are summed. No
  // wide span reaches past hi (the group of `to` starts there), none starts before lo.
  const lo = !a ? -Infinity : from === a[0] * BUCKET_MS ? a[0] : a[1]
  const hi = !z ? Infinity : z[0]
  let n = 0
  if (lo < hi) {
    const req = index.openKeyCursor(keys(lo, hi))
    for (let c: IDBCursor | null; (c = await request(req)); c.continue()) n += (c.key as number[]).at(-1)!
    n -= await countExpired(store, now, (s) => (type === undefined || s.type === type) && s.bucket >= lo - 0.5 && s.bucket < hi)
  }
  // The groups the range cuts, event by event.
  for (const g of a && z && a[0] === z[0] ? [a] : [a, z]) {
    if (!g || (g[0] >= lo && g[0] < hi)) continue
    const segs = await request<Segment[]>(index.getAll(keys(g[0], g[1])))
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
