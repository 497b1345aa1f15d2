// count(q) from index keys where the indexes can answer, without reading events:
// - no query: the maintained count (meta.ts) minus expired events not swept yet;
// - an exact type and/or a time range (no where, no correlationId): the [type, bucket, n] or
//   [bucket, t0, t1, n] keys of the windows and wide segments' spans the range covers whole are
//   summed (a key walk, no segment is read); only the one or two windows the range cuts, and the
//   wide segments of the one or two spans it cuts, are read, event by event;
// - a glob type: the same per matching type (the types store lists them).
// Anything else (where, correlationId) returns undefined: the caller counts a (sliced) read.
import { matchingTypes } from './glob.js'
import { countExpired } from './maintain.js'
import { META, readMeta } from './meta.js'
import type { Plan } from './plan.js'
import { isExpired } from './record.js'
import { request } from './requests.js'
import { STORE } from './schema.js'
import { BUCKET_MS, isWide, WIDE, wideOf, WINDOW, windowOf, type Segment } from './segment.js'

const sec = (t: number) => Math.floor(t / BUCKET_MS)

/** Live events of `type` (or every type) with from <= timestamp <= to. */
async function countWindow(db: IDBDatabase, type: string | undefined, from: number, to: number, now: number): Promise<number> {
  const store = db.transaction([STORE, META]).objectStore(STORE)
  const index = store.index(type === undefined ? 'bucket' : 'type_bucket')
  const key = (b: number, ...rest: number[]): IDBValidKey => (type === undefined ? [b, ...rest] : [type, b, ...rest])
  // Windows the range covers whole, lo..hi (keys are seconds; a window's keys are its WINDOW
  // seconds), and the WIDE spans it touches, w0..w1 (a wide key is its span's start - 0.5).
  const lo = from === -Infinity ? from : Math.ceil(from / (BUCKET_MS * WINDOW)) * WINDOW
  const hi = to === Infinity ? to : windowOf(sec(to)) - WINDOW
  const [w0, w1] = [wideOf(sec(from)), wideOf(sec(to))]
  const live = (s: Segment) => s.events.filter((e) => e.timestamp >= from && e.timestamp <= to && !isExpired(e, now)).length
  /** Whether a key's events are summed from the key: a whole window, or a whole span in it. */
  const summed = (b: number) => (isWide(b) ? b + 0.5 >= from / BUCKET_MS && b + 0.5 + WIDE <= (to + 1) / BUCKET_MS : windowOf(b) >= lo && windowOf(b) <= hi)
  let n = 0
  const partial: IDBValidKey[] = []
  if (lo <= hi) {
    // The walk also meets the wide keys of spans starting in lo..hi + WINDOW - 1.
    const req = index.openKeyCursor(IDBKeyRange.bound(key(lo - 0.5), key(hi + WINDOW - 1, Infinity)))
    for (let c: IDBCursor | null; (c = await request(req)); c.continue()) {
      const k = c.key as number[]
      if (summed(k[type === undefined ? 0 : 1]!)) n += k.at(-1)!
      else partial.push(c.primaryKey)
    }
    n -= await countExpired(store, now, (s) => (type === undefined || s.type === type) && summed(s.bucket))
  }
  // Wide segments the walk cuts, and those of the spans of `from` and `to` it does not meet (one
  // point range each: none for a dense type), event by event.
  for (const pk of partial) n += live((await request<Segment | undefined>(store.get(pk)))!)
  for (const w of new Set([w0, w1])) {
    if (!Number.isFinite(w) || (lo <= hi && w >= lo && w <= hi + WINDOW - 1)) continue
    for (const s of await request<Segment[]>(index.getAll(IDBKeyRange.bound(key(w - 0.5), key(w - 0.5, Infinity))))) n += live(s)
  }
  // The windows the range cuts (narrow segments only: whole seconds), event by event.
  for (const w of new Set([windowOf(sec(from)), windowOf(sec(to))])) {
    if (!Number.isFinite(w) || (w >= lo && w <= hi)) continue
    for (const s of await request<Segment[]>(index.getAll(IDBKeyRange.bound(key(w), key(w + WINDOW - 1, Infinity))))) n += live(s)
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
