// Glob types without scanning the whole time window: list the stored types the glob matches (the
// small `types` store, read from the pattern's literal prefix in one request), then read each
// matching type through its own exact [type, bucket] range and merge the streams by
// (timestamp, seq, id). Falls back to the bucket-index scan when too many types match.
import type { TidingsEvent } from '@tidings/core'
import type { Plan } from './plan.js'
import { readPages } from './reader.js'
import { INDEX, TYPES } from './schema.js'

/** Beyond this many matching types, one range read per type costs more than one time scan. */
export const MAX_MATCHING_TYPES = 64
/** Beyond this many candidate types under the literal prefix, listing them is not worth it. */
export const MAX_CANDIDATE_TYPES = 2000

/** Stored types under `prefix` that match the glob, or undefined when there are too many. */
export function matchingTypes(db: IDBDatabase, prefix: string, match: (t: string) => boolean): Promise<string[] | undefined> {
  return new Promise((resolve, reject) => {
    const range = prefix === '' ? null : IDBKeyRange.bound(prefix, prefix + '\uffff')
    const req = db.transaction(TYPES, 'readonly').objectStore(TYPES).getAllKeys(range, MAX_CANDIDATE_TYPES + 1)
    req.addEventListener('error', () => reject(req.error))
    req.addEventListener('success', () => {
      if (req.result.length > MAX_CANDIDATE_TYPES) return resolve(undefined)
      const out = (req.result as string[]).filter(match)
      resolve(out.length > MAX_MATCHING_TYPES ? undefined : out)
    })
  })
}

type Key = readonly [number, number, string]
const keyOf = (e: TidingsEvent): Key => [e.timestamp, e.seq, e.id]
const cmp = (a: Key, b: Key) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0)

interface Source {
  it: AsyncIterator<TidingsEvent[]>
  page: TidingsEvent[]
  pos: number
}

/** Pages of the k-way merge of one exact-type scan per type, in plan order, up to plan.limit. */
export async function* mergeTypes(getDb: () => Promise<IDBDatabase>, plan: Plan, types: readonly string[], now: number): AsyncGenerator<TidingsEvent[]> {
  const g = plan.glob!
  const sign = plan.direction === 'next' ? 1 : -1
  const sources: Source[] = []
  for (const t of types) {
    const sub: Plan = {
      index: INDEX.typeBucket,
      prefix: t,
      from: plan.from,
      to: plan.to,
      direction: plan.direction,
      limit: plan.limit,
      filter: g.where,
      everything: false,
    }
    const it = readPages(getDb, sub, now)[Symbol.asyncIterator]()
    const first = await it.next()
    if (!first.done) sources.push({ it, page: first.value, pos: 0 })
  }
  let remaining = plan.limit
  let out: TidingsEvent[] = []
  while (remaining > 0 && sources.length > 0) {
    let best = 0
    for (let i = 1; i < sources.length; i++) {
      const a = sources[i]!
      const b = sources[best]!
      if (sign * cmp(keyOf(a.page[a.pos]!), keyOf(b.page[b.pos]!)) < 0) best = i
    }
    const s = sources[best]!
    out.push(s.page[s.pos++]!)
    remaining--
    if (s.pos === s.page.length) {
      const next = await s.it.next()
      if (next.done) sources.splice(best, 1)
      else {
        s.page = next.value
        s.pos = 0
      }
    }
    if (out.length >= 1000) {
      yield out
      out = []
    }
  }
  for (const s of sources) void s.it.return?.(undefined)
  if (out.length > 0) yield out
}

/** readPages for any plan: glob types go through mergeTypes when the type list is short. */
export async function* readQuery(getDb: () => Promise<IDBDatabase>, plan: Plan, now = Date.now()): AsyncGenerator<TidingsEvent[]> {
  if (plan.glob && plan.limit > 0) {
    const types = await matchingTypes(await getDb(), plan.glob.prefix, plan.glob.match)
    if (types !== undefined) {
      yield* mergeTypes(getDb, plan, types, now)
      return
    }
  }
  yield* readPages(getDb, plan, now)
}
