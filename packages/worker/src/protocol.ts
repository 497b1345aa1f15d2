// The wire format of the event bridge (page <-> worker, over a Worker, a worker scope or a
// MessagePort). It follows the one Tidings convention `{ tag, v, kind }` (readTagged from
// '@tidings/core/bridge'), so other traffic on the same endpoint (Comlink, the pool, app
// messages) is ignored, and everything received is validated: the other side is untrusted.
import { checkBatch, isBoolean, isId, isNat, readTagged, type EventBatch, type ReplyMessage } from '@tidings/core/bridge'

export const TAG = 'tidings.worker'
export const VERSION = 1

export type BridgeMessage =
  /** Sent on connect, answered once with ack: true. `nonce` is the sender's secret for its bye:
   *  it travels only from the sender to its peer, so a third script cannot forge the bye. */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'hello'; origin: string; incarnation: string; nonce: string; ack: boolean }
  /** A batch of events by column (the codec of '@tidings/core/bridge'). */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'events'; batch: EventBatch }
  /** Counts as a batch (acked like one): sent while requests wait on the peer, or after the
   *  Worker's error event, so a peer that died in silence is found within livenessTimeoutMs. */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'ping' }
  /** The receiver has handled this many of the sender's batches: the sender's liveness check. */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'ack'; batches: number }
  /** The sender closed its side; `nonce` is the one from its hello. */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'bye'; nonce: string }
  /** The reply patterns the sender's bus serves (after the hello, and on every change). */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'replies'; patterns: readonly string[] }
  /** A request carried to the peer's responders, and its answer (see ReplyLink). */
  | ({ tag: typeof TAG; v: typeof VERSION } & ReplyMessage)

export type Incoming =
  | { kind: 'hello'; origin: string; incarnation: string; nonce: string; ack: boolean }
  | { kind: 'events'; batch: unknown }
  | { kind: 'ack'; batches: number }
  | { kind: 'ping' }
  | { kind: 'bye'; nonce: string }
  | { kind: 'replies'; patterns: unknown }
  | { kind: 'request' | 'reply'; msg: Record<string, unknown> }
  | { kind: 'malformed'; reason: string }
  | { kind: 'foreign' }

/** Classifies a received message; anything not tagged ours is 'foreign' (not ours to judge).
 *  Never throws, whatever `data` is. */
export function parseMessage(data: unknown): Incoming {
  const t = readTagged(data, TAG, VERSION)
  if (t.status === 'foreign') return { kind: 'foreign' }
  if (t.status === 'malformed') return { kind: 'malformed', reason: t.reason }
  try {
    const m = t.msg
    switch (t.kind) {
      case 'hello': {
        const { origin, incarnation, nonce, ack } = m
        if (!isId(origin) || !isId(incarnation, 64) || !isId(nonce, 64) || !isBoolean(ack)) return { kind: 'malformed', reason: 'hello needs origin, incarnation, nonce and ack' }
        return { kind: 'hello', origin, incarnation, nonce, ack }
      }
      case 'events': {
        const batch = m['batch']
        const bad = checkBatch(batch)
        return bad === undefined ? { kind: 'events', batch } : { kind: 'malformed', reason: bad }
      }
      case 'ack': {
        const batches = m['batches']
        return isNat(batches) ? { kind: 'ack', batches } : { kind: 'malformed', reason: 'ack needs a batch count' }
      }
      case 'bye': {
        const nonce = m['nonce']
        return isId(nonce, 64) ? { kind: 'bye', nonce } : { kind: 'malformed', reason: 'bye needs the nonce of its hello' }
      }
      case 'replies':
        return { kind: 'replies', patterns: m['patterns'] }
      case 'ping':
        return { kind: 'ping' }
      case 'request':
      case 'reply':
        return { kind: t.kind, msg: m }
      default:
        return { kind: 'malformed', reason: `unknown message kind ${JSON.stringify(t.kind)}` }
    }
  } catch {
    return { kind: 'malformed', reason: 'message could not be read' }
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
