// Outcome reporting for dispatch() and request(): while the bus delivers the event of such a call,
// its tracker is the bus's current one (and stays findable by the event afterwards when a queue
// holds it, see tracked-calls.ts); handler subscriptions that accept the event call expect(), and
// settle() once its final outcome is known (after retries, drops or shutdown).
// Nothing is looked up while no dispatch or request is in flight (bus.tracking === 0).
import type { SubscriptionKind } from './types.js'

/** The subscription fields a tracker reads (structural, so this file imports no subscription). */
export interface TrackedSub {
  readonly id: string
  readonly label: string | undefined
  readonly kind: SubscriptionKind
  readonly priority: number
  /** Creation order (ties in priority). */
  readonly order: number
  /** Set for queued handlers: they look the tracker up again later (tracked-calls.ts). */
  readonly queue?: object | undefined
}

export interface Settlement {
  ok: boolean
  value?: unknown
  error?: Error
  attempts: number
  durationMs: number
  /** 'handler': the handler returned or threw; 'queue': the event never reached the handler
   *  (dropped, rejected, block timeout, shutdown). */
  cause: 'handler' | 'queue'
}

export interface DeliveryTracker {
  /** The subscription accepted the event; a settle() will follow. */
  expect(sub: TrackedSub): void
  settle(sub: TrackedSub, s: Settlement): void
}

/** Kinds whose handlers count as "handlers" for dispatch/requireHandler. */
export function isHandlerKind(kind: SubscriptionKind): boolean {
  return kind === 'handler' || kind === 'queued' || kind === 'reply'
}
