// The wire format of the event bridge (page <-> worker, over a Worker, a worker scope or a
// MessagePort). Tagged and versioned so other traffic on the same endpoint (Comlink, app messages)
// is ignored, and validated on receipt: the other side is untrusted.
import type { TidingsEvent } from '@tidings/core'

export const TAG = 'tidings/worker'
export const VERSION = 1

export type BridgeMessage =
  /** Sent on connect; answered once with ack: true. Events flow after a hello from the peer. */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'hello'; origin: string; ack: boolean }
  /** A batch of envelopes, in publish order, by column (see EventColumns). */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'events'; cols: EventColumns }
  /** The sender closed its side. */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'bye' }

export type Incoming =
  | { kind: 'hello'; origin: string; ack: boolean }
  | { kind: 'events'; events: unknown[] }
  | { kind: 'bye' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'foreign' }

/** Classifies a received message; anything not tagged ours is 'foreign' (not ours to judge). */
export function parseMessage(data: unknown): Incoming {
  if (typeof data !== 'object' || data === null || (data as { tag?: unknown }).tag !== TAG) return { kind: 'foreign' }
  const m = data as Record<string, unknown>
  if (m['v'] !== VERSION) return { kind: 'malformed', reason: `unsupported protocol version ${String(m['v'])}` }
  switch (m['kind']) {
    case 'hello':
      if (typeof m['origin'] !== 'string' || typeof m['ack'] !== 'boolean') return { kind: 'malformed', reason: 'hello needs origin and ack' }
      return { kind: 'hello', origin: m['origin'], ack: m['ack'] }
    case 'events': {
      const events = decodeEvents(m['cols'])
      return typeof events === 'string' ? { kind: 'malformed', reason: events } : { kind: 'events', events }
    }
    case 'bye':
      return { kind: 'bye' }
    default:
      return { kind: 'malformed', reason: `unknown message kind ${JSON.stringify(m['kind'])}` }
  }
}

/** The parts of Worker, MessagePort and worker scopes the bridge uses. */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void
  removeEventListener(type: 'message', listener: (e: MessageEvent) => void): void
  start?: () => void
}

export function isEndpoint(x: unknown): x is MessageEndpoint {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as MessageEndpoint).postMessage === 'function' &&
    typeof (x as MessageEndpoint).addEventListener === 'function' &&
    typeof (x as MessageEndpoint).removeEventListener === 'function'
  )
}

/** A batch as columns instead of an array of envelope objects. Structured clone writes every
 *  property name of every object it copies; by column the envelope fields are written once per
 *  batch, which measured 2.5x cheaper to clone (the main cost of the bridge). `type` and `origin`
 *  repeat a lot, so they are sent as indexes into per-batch tables. Optional fields ride in `extra`
 *  (0 when an event has none). */
export interface EventColumns {
  id: string[]
  types: string[]
  type: number[]
  timestamp: number[]
  data: unknown[]
  origins: string[]
  origin: number[]
  seq: number[]
  extra: (Extra | 0)[]
}

type Extra = Pick<TidingsEvent, 'source' | 'correlationId' | 'causationId' | 'metadata' | 'priority' | 'persistent' | 'ttlMs'>
const EXTRA_KEYS = ['source', 'correlationId', 'causationId', 'metadata', 'priority', 'persistent', 'ttlMs'] as const

export function encodeEvents(events: readonly TidingsEvent[]): EventColumns {
  const n = events.length
  const cols: EventColumns = {
    id: new Array(n), types: [], type: new Array(n), timestamp: new Array(n), data: new Array(n),
    origins: [], origin: new Array(n), seq: new Array(n), extra: new Array(n),
  }
  const typeIndex = new Map<string, number>()
  const originIndex = new Map<string, number>()
  let lastType = ''
  let lastTypeAt = -1
  let lastOrigin = ''
  let lastOriginAt = -1
  for (let i = 0; i < n; i++) {
    const e = events[i]!
    cols.id[i] = e.id
    if (e.type !== lastType || lastTypeAt < 0) {
      lastType = e.type
      let at = typeIndex.get(lastType)
      if (at === undefined) typeIndex.set(lastType, (at = cols.types.push(lastType) - 1))
      lastTypeAt = at
    }
    cols.type[i] = lastTypeAt
    if (e.origin !== lastOrigin || lastOriginAt < 0) {
      lastOrigin = e.origin
      let at = originIndex.get(lastOrigin)
      if (at === undefined) originIndex.set(lastOrigin, (at = cols.origins.push(lastOrigin) - 1))
      lastOriginAt = at
    }
    cols.origin[i] = lastOriginAt
    cols.timestamp[i] = e.timestamp
    cols.data[i] = e.data
    cols.seq[i] = e.seq
    let extra: Extra | 0 = 0
    if (
      e.correlationId !== undefined || e.causationId !== undefined || e.metadata !== undefined || e.source !== undefined ||
      e.priority !== undefined || e.persistent !== undefined || e.ttlMs !== undefined
    ) {
      const x: Record<string, unknown> = {}
      for (const k of EXTRA_KEYS) if (e[k] !== undefined) x[k] = e[k]
      extra = x as Extra
    }
    cols.extra[i] = extra
  }
  return cols
}

/** Rebuilds envelope candidates from columns (still unvalidated: run each through checkEnvelope;
 *  a bad table index yields an undefined field, which it rejects), or says why the batch itself
 *  is malformed. */
export function decodeEvents(input: unknown): unknown[] | string {
  if (typeof input !== 'object' || input === null) return 'events batch is not an object'
  const c = input as Record<string, unknown>
  const id = c['id']
  if (!Array.isArray(id)) return 'events batch has no id column'
  const n = id.length
  for (const k of ['type', 'timestamp', 'data', 'origin', 'seq', 'extra']) {
    const col = c[k]
    if (!Array.isArray(col) || col.length !== n) return `events batch column "${k}" is missing or not ${n} long`
  }
  if (!Array.isArray(c['types']) || !Array.isArray(c['origins'])) return 'events batch has no types/origins table'
  const { types, type, timestamp, data, origins, origin, seq, extra } = c as unknown as Record<keyof EventColumns, unknown[]>
  const out: unknown[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const e: Record<string, unknown> = {
      id: id[i], type: lookup(types!, type![i]), timestamp: timestamp![i], version: 1, data: data![i], origin: lookup(origins!, origin![i]), seq: seq![i],
    }
    const x = extra![i]
    if (typeof x === 'object' && x !== null) {
      for (const k of EXTRA_KEYS) {
        const v = (x as Record<string, unknown>)[k]
        if (v !== undefined) e[k] = v
      }
    }
    out[i] = e
  }
  return out
}

function lookup(table: unknown[], index: unknown): unknown {
  return typeof index === 'number' ? table[index] : undefined
}
