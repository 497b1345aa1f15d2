// The wire format of sharedState, in the one Tidings convention `{ tag, v, kind }` (see
// '@tidings/core/bridge'): 'ask' (a new tab wants the value), 'none' (no value yet), 'value' (a
// write or an answer, with its stamp), and with a key 'signed' around any of them (signer.ts, the
// same signing path as the tabs bridge). Anything on the channel is untrusted: parseStateWire
// checks the shape before anything is used and never throws.
import { isId, isRecord, readTagged } from '@tidings/core/bridge'
import { isStamp, type Stamp } from './hlc.js'
import type { Parsed } from './protocol.js'
import { readSigned, type Signed, type SignedProtocol } from './signer.js'

export const STATE_TAG = 'tidings.state'
export const STATE_VERSION = 1

interface Base {
  tag: typeof STATE_TAG
  v: typeof STATE_VERSION
  /** Id of the sending state instance (also the tie-breaker in its stamps). */
  from: string
}

export interface AskMessage extends Base {
  kind: 'ask' | 'none'
}

export interface ValueMessage extends Base {
  kind: 'value'
  stamp: Stamp
  value: unknown
}

export type StateMessage = AskMessage | ValueMessage
export type SignedStateMessage = Signed<typeof STATE_TAG, typeof STATE_VERSION>

/** Longest `from` accepted (a bus origin plus a short instance suffix). */
const MAX_FROM = 300

/** The signed protocol of one state: values that cannot be encoded are named from
 *  `sharedState("key").value`. */
export function stateProtocol(key: string): SignedProtocol<StateMessage, typeof STATE_TAG, typeof STATE_VERSION> {
  return { tag: STATE_TAG, v: STATE_VERSION, what: () => `sharedState(${JSON.stringify(key)})`, parse: parseState }
}

/** Outer check: a tidings.state message of a version we speak, plain or signed. Never throws. */
export function parseStateWire(data: unknown): Parsed<StateMessage | SignedStateMessage> {
  const t = readTagged(data, STATE_TAG, STATE_VERSION)
  if (t.status === 'foreign') return { ok: false, reason: 'not a tidings.state message', foreign: true }
  if (t.status === 'malformed') return { ok: false, reason: t.reason }
  if (t.kind !== 'signed') return parseState(t.msg)
  const s = readSigned(t.msg)
  return typeof s === 'string' ? { ok: false, reason: s } : { ok: true, msg: { tag: STATE_TAG, v: STATE_VERSION, kind: 'signed', body: s.body, sig: s.sig } }
}

/** Checks an inner message (received plain, or opened from a signed one). Never throws. */
export function parseState(data: unknown): Parsed<StateMessage> {
  try {
    if (!isRecord(data) || data['tag'] !== STATE_TAG || data['v'] !== STATE_VERSION) return { ok: false, reason: 'bad tag or version' }
    const { kind, from } = data
    if (!isId(from, MAX_FROM)) return { ok: false, reason: 'from must be a non-empty string' }
    switch (kind) {
      case 'ask':
      case 'none':
        return { ok: true, msg: { tag: STATE_TAG, v: STATE_VERSION, kind, from } }
      case 'value': {
        const stamp = data['stamp']
        if (!isStamp(stamp)) return { ok: false, reason: 'value without a valid stamp' }
        if (!('value' in data)) return { ok: false, reason: 'value message without a value' }
        return { ok: true, msg: { tag: STATE_TAG, v: STATE_VERSION, kind, from, stamp: { t: stamp.t, c: stamp.c, o: stamp.o }, value: data['value'] } }
      }
      default:
        return { ok: false, reason: `unknown message kind ${JSON.stringify(String(kind).slice(0, 40))}` }
    }
  } catch {
    return { ok: false, reason: 'message could not be read' }
  }
}
