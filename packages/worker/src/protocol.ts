// The wire format of the event bridge (page <-> worker, over a Worker, a worker scope or a
// MessagePort). Tagged and versioned so other traffic on the same endpoint (Comlink, app messages)
// is ignored, and validated on receipt: the other side is untrusted.
import type { TidingsEvent } from '@tidings/core'

export const TAG = 'tidings/worker'
export const VERSION = 1

export type BridgeMessage =
  /** Sent on connect; answered once with ack: true. Events flow after a hello from the peer. */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'hello'; origin: string; ack: boolean }
  /** A batch of envelopes, in publish order. */
  | { tag: typeof TAG; v: typeof VERSION; kind: 'events'; events: TidingsEvent[] }
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
    case 'events':
      if (!Array.isArray(m['events'])) return { kind: 'malformed', reason: 'events must be an array' }
      return { kind: 'events', events: m['events'] as unknown[] }
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
