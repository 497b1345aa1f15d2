// The wire format of the tabs bridge, in the one Tidings convention `{ tag, v, kind }` (see
// '@tidings/core/bridge'). Everything that arrives on the channel is untrusted (any script of the
// origin can post on it), so parseWire checks the shape before anything is used; the events
// inside a batch are rebuilt and checked one by one by the shared inbound pipe.
import { checkBatch, isBoolean, isId, isRecord, readTagged, type EventBatch, type ReplyMessage } from '@tidings/core/bridge'

export const WIRE_TAG = 'tidings.tabs'
export const WIRE_VERSION = 1

interface Base {
  tag: typeof WIRE_TAG
  v: typeof WIRE_VERSION
  /** Id of the sending bridge instance (not the bus origin: one bus may have several bridges). */
  from: string
}

export interface HelloMessage extends Base {
  kind: 'hello' | 'heartbeat'
  /** The session of the sender's bus: its origin and random incarnation. */
  origin: string
  incarnation: string
  name: string
  /** A newcomer asks the others to announce themselves at once. */
  ask?: boolean
  /** The reply patterns the sender's bus serves (bus.request() across tabs). */
  replies?: readonly string[]
}

export interface ByeMessage extends Base {
  kind: 'bye'
}

export interface BatchMessage extends Base {
  kind: 'batch'
  /** The events, by column (the codec of '@tidings/core/bridge'). */
  batch: EventBatch
}

/** A request carried to one tab's responders, or its answer (see ReplyLink). Checked field by
 *  field by the ReplyLink that receives it. */
export type ReplyWire = Base & ReplyMessage

export type InnerMessage = HelloMessage | ByeMessage | BatchMessage | ReplyWire

/** With a key, the inner message travels as text so the signature covers exactly what the
 *  receiver parses. */
export interface SignedMessage {
  tag: typeof WIRE_TAG
  v: typeof WIRE_VERSION
  kind: 'signed'
  body: string
  sig: Uint8Array
}

export type WireMessage = InnerMessage | SignedMessage

export type Parsed<T> = { ok: true; msg: T } | { ok: false; reason: string; foreign?: boolean }

/** Outer check: a tidings.tabs message of a version we speak. Never throws. */
export function parseWire(data: unknown): Parsed<WireMessage> {
  const t = readTagged(data, WIRE_TAG, WIRE_VERSION)
  if (t.status === 'foreign') return { ok: false, reason: 'not a tidings.tabs message', foreign: true }
  if (t.status === 'malformed') return { ok: false, reason: t.reason }
  if (t.kind === 'signed') {
    try {
      const { body, sig } = t.msg
      if (typeof body !== 'string') return { ok: false, reason: 'signed message without a string body' }
      if (!(sig instanceof Uint8Array) || sig.byteLength !== 32) return { ok: false, reason: 'signed message without a 32-byte signature' }
      return { ok: true, msg: { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'signed', body, sig } }
    } catch {
      return { ok: false, reason: 'signed message could not be read' }
    }
  }
  return parseInner(t.msg)
}

/** Checks an inner message (received plain, or opened from a signed one). Never throws. */
export function parseInner(data: unknown): Parsed<InnerMessage> {
  try {
    if (!isRecord(data)) return { ok: false, reason: 'message is not an object' }
    if (data['tag'] !== WIRE_TAG || data['v'] !== WIRE_VERSION) return { ok: false, reason: 'bad tag or version' }
    const from = data['from']
    if (!isId(from)) return { ok: false, reason: 'from must be a non-empty string' }
    const kind = data['kind']
    switch (kind) {
      case 'hello':
      case 'heartbeat': {
        const { origin, incarnation, name, ask, replies } = data
        if (!isId(origin)) return { ok: false, reason: `${kind} without an origin` }
        if (!isId(incarnation, 64)) return { ok: false, reason: `${kind} without an incarnation` }
        if (typeof name !== 'string' || name.length > 200) return { ok: false, reason: `${kind} without a name` }
        if (ask !== undefined && !isBoolean(ask)) return { ok: false, reason: 'ask must be a boolean' }
        if (replies !== undefined && !(Array.isArray(replies) && replies.length <= 256 && replies.every((p) => isId(p)))) return { ok: false, reason: 'replies must be at most 256 patterns' }
        const msg: HelloMessage = { tag: WIRE_TAG, v: WIRE_VERSION, kind, from, origin, incarnation, name }
        if (ask) msg.ask = true
        if (replies !== undefined) msg.replies = replies as string[]
        return { ok: true, msg }
      }
      case 'bye':
        return { ok: true, msg: { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'bye', from } }
      case 'request':
      case 'reply':
        return { ok: true, msg: data as unknown as ReplyWire }
      case 'batch': {
        const batch = data['batch']
        const bad = checkBatch(batch)
        if (bad !== undefined) return { ok: false, reason: bad }
        return { ok: true, msg: { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'batch', from, batch: batch as EventBatch } }
      }
      default:
        return { ok: false, reason: `unknown message kind ${JSON.stringify(String(kind).slice(0, 40))}` }
    }
  } catch {
    return { ok: false, reason: 'message could not be read' }
  }
}
