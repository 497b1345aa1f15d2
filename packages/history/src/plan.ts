// Turns a HistoryQuery into a scan over segments: which index, which buckets, which direction, and
// what must still be filtered in memory. Exact types scan [type, bucket] directly; a correlationId
// scans [correlationId, bucket]; globs scan the bucket index in order and filter by pattern (so
// results stay time-ordered and a limit stops the scan early).
import { assertPattern, assertTopic, compilePattern, compilePatterns } from '@tidings/core'
import { InvalidHistoryInputError } from './errors.js'
import type { StoredRecord } from './record.js'
import type { HistoryQuery, TimeInput } from './types.js'
import { compileWhere, type OnUnreadable } from './where.js'

type Filter = (r: StoredRecord) => boolean

export interface Plan {
  /** Which segment index the scan walks, bucket by bucket. */
  index: 'type_bucket' | 'bucket' | 'corr'
  /** The key's leading component before the bucket: the exact type (type_bucket) or the
   *  correlationId (corr); undefined for the bucket index. */
  prefix: string | undefined
  /** Inclusive timestamp window (exact; buckets only narrow the scan). */
  from: number
  to: number
  direction: 'next' | 'prev'
  limit: number
  /** In-memory conditions beyond the time window (expiry is checked separately). */
  filter: Filter | undefined
  /** True when nothing narrows the whole store, limit included (count() can use the ids index
   *  count, clear() can clear the store). */
  everything: boolean
  /** For a glob type on the bucket index: what the glob-by-types strategy needs (see glob.ts). */
  glob?: { prefix: string; match: (type: string) => boolean; where: Filter | undefined }
}

const WILDCARD = /[*?[\]{}]/

export function toTime(name: string, v: TimeInput | undefined): number | undefined {
  if (v === undefined) return undefined
  const t = typeof v === 'number' ? v : v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number.NaN
  if (!Number.isFinite(t)) throw new InvalidHistoryInputError(name, v, 'must be epoch milliseconds, a Date or an ISO date string')
  return t
}

/** `onUnreadable`: told about each event a where-condition could not read (it does not match). */
export function planQuery(q: HistoryQuery = {}, onUnreadable?: OnUnreadable): Plan {
  if (typeof q !== 'object' || q === null) throw new InvalidHistoryInputError('query', q, 'must be an object like { type, from, to, where, limit }')
  const from = toTime('query.from', q.from)
  const to = toTime('query.to', q.to)
  if (from !== undefined && to !== undefined && from > to) throw new InvalidHistoryInputError('query.from', q.from, `is after query.to (${String(q.to)})`)
  const limit = q.limit ?? Infinity
  if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 0)))
    throw new InvalidHistoryInputError('query.limit', q.limit, 'must be a non-negative integer')
  const order = q.order ?? 'asc'
  if (order !== 'asc' && order !== 'desc') throw new InvalidHistoryInputError('query.order', q.order, "must be 'asc' or 'desc'")
  const { type, correlationId } = q
  if (correlationId !== undefined && typeof correlationId !== 'string')
    throw new InvalidHistoryInputError('query.correlationId', correlationId, 'must be a string')

  const filters: Filter[] = []
  const exact = typeof type === 'string' && !WILDCARD.test(type)
  let glob: { prefix: string; match: (type: string) => boolean } | undefined
  if (exact) assertTopic(type)
  else if (type !== undefined) {
    assertPattern(type)
    const match = compilePatterns(type)
    filters.push((r) => match(r.type))
    glob = { prefix: compilePattern(type).prefix.join('.'), match }
  }
  const where = compileWhere(q.where, onUnreadable)
  if (where) filters.push(where)
  // The corr index finds the segments holding the chain; a segment holds other events too.
  if (correlationId !== undefined) filters.push((r) => r.correlationId === correlationId)

  const index = exact ? 'type_bucket' : correlationId !== undefined ? 'corr' : 'bucket'
  return {
    ...(glob && index === 'bucket' ? { glob: { ...glob, where } } : {}),
    index,
    prefix: exact ? type : correlationId,
    from: from ?? -Infinity,
    to: to ?? Infinity,
    direction: order === 'asc' ? 'next' : 'prev',
    limit,
    filter: filters.length < 2 ? filters[0] : (r) => filters.every((f) => f(r)),
    everything: [type, correlationId, from, to, where].every((v) => v === undefined) && limit === Infinity,
  }
}
