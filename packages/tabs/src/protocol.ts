// The wire format of the tabs bridge. Everything that arrives on the channel is untrusted (any
// script of the origin can post on it), so parseMessage checks the shape before anything is used;
// the events inside a batch are rebuilt and checked one by one with core's checkEnvelope by the
// bridge (per-event fields such as prev are checked there too, in the same pass).
export const WIRE_TAG = 'tidings.tabs'
export const WIRE_VERSION = 1
/** Upper bound of events in one inbound batch; larger ones are malformed (memory guard). */
export const MAX_BATCH = 100_000
const MAX_ID = 200

interface Base {
  t: typeof WIRE_TAG
  v: typeof WIRE_VERSION
  /** Id of the sending bridge instance (not the bus origin: one bus may have several bridges). */
  from: string
}

export interface HelloMessage extends Base {
  kind: 'hello' | 'heartbeat'
  origin: string
  name: string
  /** A newcomer asks the others to announce themselves at once. */
  ask?: boolean
}

export interface ByeMessage extends Base {
  kind: 'bye'
}

/** Columnar: one array per envelope field (see batch-codec.ts), all of length n. */
export interface BatchMessage extends Base {
  kind: 'batch'
  n: number
  /** Envelope version of every event. */
  ev: number
  /** Origins table; `oi` indexes it per event. */
  o: string[]
  oi: number[]
  s: number[]
  /** Per event: seq of the previous event of the same origin this sender forwarded (-1: none). */
  p: number[]
  ty: unknown[]
  ts: unknown[]
  d: unknown[]
  /** Per event: the id when it is not the bus-made `origin:seq` (null otherwise). */
  id?: (string | null)[]
  /** Per event: optional envelope fields (source, correlationId, ...) or null. */
  x?: (Record<string, unknown> | null)[]
  /** Signed batches travel as JSON: indexes of events whose data was `undefined`. */
  u?: number[]
}

export type InnerMessage = HelloMessage | ByeMessage | BatchMessage

/** With a key, the inner message travels as JSON text so the signature covers exactly what the
 *  receiver parses (structured-clone-only values such as Map or Date cannot slip past it). */
export interface SignedMessage {
  t: typeof WIRE_TAG
  v: typeof WIRE_VERSION
  kind: 'signed'
  body: string
  sig: Uint8Array
}

export type WireMessage = InnerMessage | SignedMessage

export type Parsed<T> = { ok: true; msg: T } | { ok: false; reason: string }

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID

/** Outer check: a tidings.tabs message of a version we speak. */
export function parseWire(data: unknown): Parsed<WireMessage> {
  if (!isObj(data)) return { ok: false, reason: 'message is not an object' }
  if (data['t'] !== WIRE_TAG) return { ok: false, reason: 'not a tidings.tabs message' }
  if (data['v'] !== WIRE_VERSION) return { ok: false, reason: `unsupported protocol version ${String(data['v'])}` }
  if (data['kind'] === 'signed') {
    if (typeof data['body'] !== 'string') return { ok: false, reason: 'signed message without a string body' }
    if (!(data['sig'] instanceof Uint8Array) || data['sig'].byteLength !== 32)
      return { ok: false, reason: 'signed message without a 32-byte signature' }
    return { ok: true, msg: data as unknown as SignedMessage }
  }
  return parseInner(data)
}

export function parseInner(data: unknown): Parsed<InnerMessage> {
  if (!isObj(data)) return { ok: false, reason: 'message is not an object' }
  if (data['t'] !== WIRE_TAG || data['v'] !== WIRE_VERSION) return { ok: false, reason: 'bad tag or version' }
  if (!isId(data['from'])) return { ok: false, reason: 'from must be a non-empty string' }
  switch (data['kind']) {
    case 'hello':
    case 'heartbeat':
      if (!isId(data['origin'])) return { ok: false, reason: `${data['kind']} without an origin` }
      if (typeof data['name'] !== 'string' || data['name'].length > MAX_ID) return { ok: false, reason: `${data['kind']} without a name` }
      if (data['ask'] !== undefined && typeof data['ask'] !== 'boolean') return { ok: false, reason: 'ask must be a boolean' }
      return { ok: true, msg: data as unknown as HelloMessage }
    case 'bye':
      return { ok: true, msg: data as unknown as ByeMessage }
    case 'batch': {
      const n = data['n']
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_BATCH) return { ok: false, reason: `batch n must be an integer in 1..${MAX_BATCH}` }
      for (const k of ['oi', 's', 'p', 'ty', 'ts', 'd'] as const) {
        const col = data[k]
        if (!Array.isArray(col) || col.length !== n) return { ok: false, reason: `batch ${k} must be an array of n` }
      }
      for (const k of ['id', 'x'] as const) {
        const col = data[k]
        if (col !== undefined && (!Array.isArray(col) || col.length !== n)) return { ok: false, reason: `batch ${k} must be an array of n` }
      }
      const o = data['o']
      if (!Array.isArray(o) || o.length === 0 || o.length > n) return { ok: false, reason: 'batch o must be a non-empty origins table' }
      const u = data['u']
      if (u !== undefined && (!Array.isArray(u) || u.some((i) => typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n)))
        return { ok: false, reason: 'batch u must hold event indexes' }
      return { ok: true, msg: data as unknown as BatchMessage }
    }
    default:
      return { ok: false, reason: `unknown message kind ${JSON.stringify(String(data['kind']).slice(0, 40))}` }
  }
}
