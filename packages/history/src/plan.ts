// Turns a HistoryQuery into a scan over segments: which index, which buckets, which direction, and
// what must still be filtered in memory. Exact types scan [type, bucket] directly; a correlationId
// scans [correlationId, bucket]; globs scan the bucket index in order and filter by pattern (so
// results stay time-ordered and a limit stops the scan early).
import { assertPattern, assertTopic, compilePattern, compilePatterns } from '@tidings/core'
import { InvalidHistoryInputError } from './errors.js'
import { INDEX, type StoredRecord } from './schema.js'
import type { HistoryQuery, TimeInput } from './types.js'
import { compileWhere } from './where.js'

export interface Plan {
  /** Which segment index the scan walks, bucket by bucket. */
  index: typeof INDEX.typeBucket | typeof INDEX.bucket | typeof INDEX.corr
  /** The key's leading component before the bucket: the exact type (type_bucket) or the
   *  correlationId (corr); undefined for the bucket index. */
  prefix: string | undefined
  /** Inclusive timestamp window (exact; buckets only narrow the scan). */
  from: number
  to: number
  direction: 'next' | 'prev'
  limit: number
  /** In-memory conditions beyond the time window (expiry is checked separately). */
  filter: ((r: StoredRecord) => boolean) | undefined
  /** True when nothing narrows the whole store (count() can use the ids index count). */
  everything: boolean
  /** For a glob type on the bucket index: what the glob-by-types strategy needs (see glob.ts). */
  glob?: { prefix: string; match: (type: string) => boolean; where: ((r: StoredRecord) => boolean) | undefined }
}

const WILDCARD = /[*?[\]{}]/

export function toTime(name: string, v: TimeInput | undefined): number | undefined {
  if (v === undefined) return undefined
  const t = typeof v === 'number' ? v : v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number.NaN
  if (!Number.isFinite(t)) throw new InvalidHistoryInputError(name, v, 'must be epoch milliseconds, a Date or an ISO date string')
  return t
}

export function planQuery(q: HistoryQuery = {}): Plan {
  if (typeof q !== 'object' || q === null) throw new InvalidHistoryInputError('query', q, 'must be an object like { type, from, to, where, limit }')
  const from = toTime('query.from', q.from)
  const to = toTime('query.to', q.to)
  if (from !== undefined && to !== undefined && from > to) throw new InvalidHistoryInputError('query.from', q.from, `is after query.to (${String(q.to)})`)
  const limit = q.limit ?? Number.POSITIVE_INFINITY
  if (!(limit === Number.POSITIVE_INFINITY || (Number.isInteger(limit) && limit >= 0)))
    throw new InvalidHistoryInputError('query.limit', q.limit, 'must be a non-negative integer')
  const order = q.order ?? 'asc'
  if (order !== 'asc' && order !== 'desc') throw new InvalidHistoryInputError('query.order', q.order, "must be 'asc' or 'desc'")
  if (q.correlationId !== undefined && typeof q.correlationId !== 'string')
    throw new InvalidHistoryInputError('query.correlationId', q.correlationId, 'must be a string')

  const filters: Array<(r: StoredRecord) => boolean> = []
  let exactType: string | undefined
  let glob: { prefix: string; match: (type: string) => boolean } | undefined
  if (q.type !== undefined) {
    if (typeof q.type === 'string' && !WILDCARD.test(q.type)) {
      assertTopic(q.type)
      exactType = q.type
    } else {
      assertPattern(q.type)
      const match = compilePatterns(q.type)
      filters.push((r) => match(r.type))
      glob = { prefix: compilePattern(q.type).prefix.join('.'), match }
    }
  }
  const where = compileWhere(q.where)
  if (where) filters.push(where)

  const lo = from ?? Number.NEGATIVE_INFINITY
  const hi = to ?? Number.POSITIVE_INFINITY
  let index: Plan['index']
  let prefix: string | undefined
  if (exactType !== undefined) {
    index = INDEX.typeBucket
    prefix = exactType
    if (q.correlationId !== undefined) {
      const c = q.correlationId
      filters.push((r) => r.correlationId === c)
    }
  } else if (q.correlationId !== undefined) {
    // The corr index finds the segments holding the chain; the segment holds other events too.
    index = INDEX.corr
    prefix = q.correlationId
    const c = q.correlationId
    filters.push((r) => r.correlationId === c)
  } else {
    index = INDEX.bucket
  }
  const filter = filters.length === 0 ? undefined : filters.length === 1 ? filters[0] : (r: StoredRecord) => filters.every((f) => f(r))
  return {
    ...(glob && index === INDEX.bucket ? { glob: { ...glob, where } } : {}),
    index,
    prefix,
    from: lo,
    to: hi,
    direction: order === 'asc' ? 'next' : 'prev',
    limit,
    filter,
    everything: q.type === undefined && q.correlationId === undefined && from === undefined && to === undefined && where === undefined,
  }
}
