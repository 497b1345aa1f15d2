// Glob types without scanning the whole time window: list the stored types the glob matches (the
// small `types` store, read from the pattern's literal prefix in one request), then read each
// matching type through its own exact [type, bucket] range and merge the streams by
// (timestamp, seq, id). Falls back to the bucket-index scan when too many types match.
import type { TidingsEvent } from '@tidings/core'
import type { Plan } from './plan.js'
import { readPages } from './reader.js'
import { request } from './requests.js'
import { TYPES } from './schema.js'
import { compareEvents } from './segment.js'
import { slicer, type Slicer } from './slice.js'

/** Beyond this many matching types, one range read per type costs more than one time scan. */
export const MAX_MATCHING_TYPES = 64
/** Beyond this many candidate types under the literal prefix, listing them is not worth it. */
export const MAX_CANDIDATE_TYPES = 2000

/** Stored types under `prefix` that match the glob, or undefined when there are too many. */
export async function matchingTypes(db: IDBDatabase, prefix: string, match: (t: string) => boolean): Promise<string[] | undefined> {
  const range = prefix === '' ? null : IDBKeyRange.bound(prefix, prefix + '\uffff')
  const candidates = await request(db.transaction(TYPES).objectStore(TYPES).getAllKeys(range, MAX_CANDIDATE_TYPES + 1))
  const out = (candidates as string[]).filter(match)
  return candidates.length > MAX_CANDIDATE_TYPES || out.length > MAX_MATCHING_TYPES ? undefined : out
}

interface Source {
  it: AsyncGenerator<TidingsEvent[]>
  page: TidingsEvent[]
  pos: number
}

/** Pages of the k-way merge of one exact-type scan per type, in plan order, up to plan.limit. */
export async function* mergeTypes(getDb: () => Promise<IDBDatabase>, plan: Plan, types: readonly string[], now: number, sl: Slicer): AsyncGenerator<TidingsEvent[]> {
  const { glob, ...base } = plan
  const sign = plan.direction === 'next' ? 1 : -1
  const sources: Source[] = []
  for (const prefix of types) {
    const it = readPages(getDb, { ...base, index: 'type_bucket', prefix, filter: glob!.where, everything: false }, now, sl)
    const first = await it.next()
    if (!first.done) sources.push({ it, page: first.value, pos: 0 })
  }
  const head = (s: Source) => s.page[s.pos]!
  let remaining = plan.limit
  let out: TidingsEvent[] = []
  while (remaining > 0 && sources.length > 0) {
    let best = 0
    for (let i = 1; i < sources.length; i++) if (sign * compareEvents(head(sources[i]!), head(sources[best]!)) < 0) best = i
    const s = sources[best]!
    out.push(head(s))
    remaining--
    if (++s.pos === s.page.length) {
      const next = await s.it.next()
      if (next.done) sources.splice(best, 1)
      else [s.page, s.pos] = [next.value, 0]
    }
    if (out.length >= 1000) {
      yield out
      out = []
      await sl.pause()
    }
  }
  for (const s of sources) void s.it.return(undefined)
  if (out.length > 0) yield out
}

/** readPages for any plan: glob types go through mergeTypes when the type list is short. */
export async function* readQuery(getDb: () => Promise<IDBDatabase>, plan: Plan, sl: Slicer = slicer(), now = Date.now()): AsyncGenerator<TidingsEvent[]> {
  const types = plan.glob && plan.limit > 0 ? await matchingTypes(await getDb(), plan.glob.prefix, plan.glob.match) : undefined
  yield* types ? mergeTypes(getDb, plan, types, now, sl) : readPages(getDb, plan, now, sl)
}
