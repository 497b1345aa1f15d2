// The one envelope codec of every bridge: a batch of events as columns. Structured clone (and
// JSON) write every property name of every object, so an array of envelopes costs seven key
// strings per event; one array per field costs none. Types and origins repeat a lot, so they go
// as indexes into per-batch tables, and an id the bus made (`origin:seq`) is not sent at all.
// Measured in Chromium: 2.5x the events/s of an array of envelope objects, rebuild included.
// decodeEvent() rebuilds plain envelope candidates; the receiver still checks each one with
// checkEnvelope(), so nothing here trusts the sender.
import type { TidingsEvent } from '../envelope.js'
import { isNat, isRecord } from './wire.js'

/** The optional envelope fields, carried per event only when one of them is set. */
export const OPTIONAL_ENVELOPE_FIELDS = ['source', 'correlationId', 'causationId', 'metadata', 'priority', 'persistent', 'ttlMs'] as const

type Extras = Partial<Pick<TidingsEvent, (typeof OPTIONAL_ENVELOPE_FIELDS)[number]>>

/** No previous event of the session was forwarded by this sender. */
export const NO_PREV = -1

/** Upper bound of events in one inbound batch; larger ones are malformed (memory guard). */
export const MAX_BATCH_EVENTS = 100_000

/**
 * A batch of events by column. Every per-event column has `n` entries. A session is an origin
 * plus the random incarnation of the bus that published under it (a reloaded tab that keeps its
 * origin is a new incarnation): `so`/`si` are the sessions table, `sx` indexes it per event.
 */
export interface EventBatch {
  n: number
  /** Envelope version of every event. */
  ev: number
  /** Sessions table: origins and their incarnations. */
  so: string[]
  si: string[]
  /** Per event: index into the sessions table. */
  sx: number[]
  s: number[]
  /** Per event: seq of the previous event of the same session this sender forwarded, or NO_PREV. */
  p: number[]
  /** Types table, and per event an index into it. */
  tt: string[]
  tx: number[]
  ts: number[]
  d: unknown[]
  /** Per event: the id when it is not the bus-made `origin:seq` (null otherwise). */
  id?: (string | null)[]
  /** Per event: the optional envelope fields it has, or null. */
  x?: (Extras | null)[]
}

/** One event to encode: the envelope, its session's incarnation, and its `prev`. */
export interface Outgoing {
  event: TidingsEvent
  incarnation: string
  prev: number
}

/** Ids the bus makes are `${origin}:${seq}`. */
export function isCanonicalId(e: TidingsEvent): boolean {
  const id = e.id
  const o = e.origin
  return id.length > o.length + 1 && id.charCodeAt(o.length) === 58 /* : */ && id.startsWith(o) && id.slice(o.length + 1) === String(e.seq)
}

export function encodeBatch(items: readonly Outgoing[]): EventBatch {
  const n = items.length
  const so: string[] = []
  const si: string[] = []
  const sessionIndex = new Map<string, number>()
  const tt: string[] = []
  const typeIndex = new Map<string, number>()
  const sx = new Array<number>(n)
  const s = new Array<number>(n)
  const p = new Array<number>(n)
  const tx = new Array<number>(n)
  const ts = new Array<number>(n)
  const d = new Array<unknown>(n)
  let ids: (string | null)[] | undefined
  let x: (Extras | null)[] | undefined
  let lastSession = ''
  let lastSessionAt = -1
  let lastType = ''
  let lastTypeAt = -1
  for (let i = 0; i < n; i++) {
    const { event: e, incarnation, prev } = items[i]!
    const key = e.origin + '\u0000' + incarnation
    if (key !== lastSession || lastSessionAt < 0) {
      let at = sessionIndex.get(key)
      if (at === undefined) {
        at = so.push(e.origin) - 1
        si.push(incarnation)
        sessionIndex.set(key, at)
      }
      lastSession = key
      lastSessionAt = at
    }
    sx[i] = lastSessionAt
    if (e.type !== lastType || lastTypeAt < 0) {
      let at = typeIndex.get(e.type)
      if (at === undefined) typeIndex.set(e.type, (at = tt.push(e.type) - 1))
      lastType = e.type
      lastTypeAt = at
    }
    tx[i] = lastTypeAt
    s[i] = e.seq
    p[i] = prev
    ts[i] = e.timestamp
    d[i] = e.data
    if (!isCanonicalId(e)) (ids ??= new Array<string | null>(n).fill(null))[i] = e.id
    if (
      e.source !== undefined ||
      e.correlationId !== undefined ||
      e.causationId !== undefined ||
      e.metadata !== undefined ||
      e.priority !== undefined ||
      e.persistent !== undefined ||
      e.ttlMs !== undefined
    ) {
      const extras: Record<string, unknown> = {}
      for (const k of OPTIONAL_ENVELOPE_FIELDS) if (e[k] !== undefined) extras[k] = e[k]
      ;(x ??= new Array<Extras | null>(n).fill(null))[i] = extras as Extras
    }
  }
  const batch: EventBatch = { n, ev: 1, so, si, sx, s, p, tt, tx, ts, d }
  if (ids) batch.id = ids
  if (x) batch.x = x
  return batch
}

const COLUMNS = ['sx', 's', 'p', 'tx', 'ts', 'd'] as const
const OPTIONAL_COLUMNS = ['id', 'x'] as const

/** Checks a received batch's outer shape (not its events: decodeEvent + checkEnvelope do that).
 *  Returns the reason it is malformed, or undefined. Never throws. */
export function checkBatch(v: unknown): string | undefined {
  try {
    if (!isRecord(v)) return 'events batch is not an object'
    const n = v['n']
    if (!isNat(n) || n < 1 || n > MAX_BATCH_EVENTS) return `events batch n must be an integer in 1..${MAX_BATCH_EVENTS}`
    for (const k of COLUMNS) {
      const col = v[k]
      if (!Array.isArray(col) || col.length !== n) return `events batch column ${k} must be an array of n = ${n}`
    }
    for (const k of OPTIONAL_COLUMNS) {
      const col = v[k]
      if (col !== undefined && (!Array.isArray(col) || col.length !== n)) return `events batch column ${k} must be an array of n = ${n}`
    }
    for (const k of ['so', 'si', 'tt'] as const) {
      const table = v[k]
      if (!Array.isArray(table) || table.length === 0 || table.length > n) return `events batch table ${k} must be a non-empty array of at most n entries`
    }
    if ((v['so'] as unknown[]).length !== (v['si'] as unknown[]).length) return 'events batch tables so and si must be as long as each other'
    return undefined
  } catch {
    return 'events batch could not be read'
  }
}

export type Decoded =
  | { ok: true; candidate: Record<string, unknown>; incarnation: string; prev: number; canonical: boolean }
  | { ok: false; reason: string }

/** Rebuilds event i of a batch that passed checkBatch as an envelope candidate (unchecked: run it
 *  through checkEnvelope). Only the known optional fields are copied from the extras, so no other
 *  key (e.g. `__proto__`) can ride along. */
export function decodeEvent(b: EventBatch, i: number): Decoded {
  const at = b.sx[i]
  const origin = typeof at === 'number' ? b.so[at] : undefined
  const incarnation = typeof at === 'number' ? b.si[at] : undefined
  if (typeof origin !== 'string' || typeof incarnation !== 'string' || incarnation.length > 64) return { ok: false, reason: 'session index out of range' }
  const ti = b.tx[i]
  const type = typeof ti === 'number' ? b.tt[ti] : undefined
  const seq = b.s[i]
  const prev = b.p[i]
  if (typeof prev !== 'number' || !Number.isSafeInteger(prev) || prev < NO_PREV) return { ok: false, reason: 'prev must be an integer >= -1' }
  const explicitId = b.id?.[i]
  if (explicitId !== undefined && explicitId !== null && typeof explicitId !== 'string') return { ok: false, reason: 'id must be a string' }
  const canonical = explicitId === undefined || explicitId === null
  const candidate: Record<string, unknown> = {
    id: canonical ? origin + ':' + String(seq) : explicitId,
    type,
    timestamp: b.ts[i],
    version: b.ev,
    data: b.d[i],
    origin,
    seq,
  }
  const extras = b.x?.[i]
  if (extras !== undefined && extras !== null) {
    if (!isRecord(extras)) return { ok: false, reason: 'extras must be an object' }
    for (const k of OPTIONAL_ENVELOPE_FIELDS) {
      const v = extras[k]
      if (v !== undefined) candidate[k] = v
    }
  }
  return { ok: true, candidate, incarnation, prev, canonical }
}
