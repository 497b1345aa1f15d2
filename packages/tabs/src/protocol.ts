// The wire format of the tabs bridge. Everything that arrives on the channel is untrusted (any
// script of the origin can post on it), so parseMessage checks the shape before anything is used;
// the events inside a batch are checked one by one with core's checkEnvelope by the bridge.
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

export interface BatchMessage extends Base {
  kind: 'batch'
  events: unknown[]
  /** Per event: seq of the previous event of the same origin this sender forwarded (-1: none). */
  prev: number[]
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
      const events = data['events']
      const prev = data['prev']
      if (!Array.isArray(events) || events.length === 0 || events.length > MAX_BATCH)
        return { ok: false, reason: `batch events must be an array of 1..${MAX_BATCH}` }
      if (!Array.isArray(prev) || prev.length !== events.length) return { ok: false, reason: 'batch prev must match events' }
      for (const p of prev) if (typeof p !== 'number' || !Number.isSafeInteger(p) || p < -1) return { ok: false, reason: 'batch prev must hold integers >= -1' }
      const u = data['u']
      if (u !== undefined && (!Array.isArray(u) || u.some((i) => typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= events.length)))
        return { ok: false, reason: 'batch u must hold event indexes' }
      return { ok: true, msg: data as unknown as BatchMessage }
    }
    default:
      return { ok: false, reason: `unknown message kind ${JSON.stringify(String(data['kind']).slice(0, 40))}` }
  }
}
