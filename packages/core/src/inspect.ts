// The typed instrumentation stream behind bus.inspect(). Nothing here is built unless someone
// inspects: the bus checks for inspectors before creating any of these objects, and for the
// per-event kinds ('publish', 'deliver') it checks that some inspector asked for that kind.
import { InvalidOptionError } from './errors.js'
import type { TidingsEvent } from './envelope.js'
import type { PublishReceipt, SubscriptionInfo } from './types.js'

export type InspectionEvent =
  | { kind: 'publish'; at: number; event: TidingsEvent; receipt: PublishReceipt }
  | { kind: 'deliver'; at: number; event: TidingsEvent; subscriptionId: string; durationMs: number; attempt: number }
  | { kind: 'drop'; at: number; event: TidingsEvent; subscriptionId: string; reason: 'drop-oldest' | 'drop-newest' | 'shutdown' }
  | { kind: 'reject'; at: number; event: TidingsEvent; subscriptionId: string; reason: string }
  | { kind: 'error'; at: number; event: TidingsEvent; subscriptionId: string; error: Error; attempt: number; final: boolean }
  | { kind: 'subscribe'; at: number; subscription: SubscriptionInfo }
  | { kind: 'unsubscribe'; at: number; subscriptionId: string }
  | { kind: 'bridge'; at: number; event: TidingsEvent; bridge: string; direction: 'in' | 'out' }

export type InspectionKind = InspectionEvent['kind']

export interface InspectOptions {
  /** Only these kinds reach this observer (default: all). While no inspector asks for
   *  'deliver', handlers are not timed and no deliver inspection is built; the same holds for
   *  every kind. An empty list receives nothing (the bus still builds the envelopes of events
   *  that match no subscription, as for any inspector). An unknown kind throws
   *  InvalidOptionError. */
  kinds?: readonly InspectionKind[] | undefined
  /** A sampler for 'publish' inspections: called once per publish with its event, after
   *  delivery and before the inspection is built; false skips that publish for this observer,
   *  and when no observer takes it the bus builds no 'publish' inspection at all (a DevTools
   *  agent keeping 2000 events/s pays for those, not for every publish). Other kinds are not
   *  sampled. A sampler that throws counts as false (logged with console.error). Not a function:
   *  InvalidOptionError. */
  sample?: ((event: TidingsEvent) => boolean) | undefined
}

/** One bit per kind: the bus keeps the union of its inspectors' bits (`inspected`), so the hot
 *  paths test one number. */
export const KIND_BITS: Readonly<Record<InspectionKind, number>> = {
  publish: 1,
  deliver: 2,
  drop: 4,
  reject: 8,
  error: 16,
  subscribe: 32,
  unsubscribe: 64,
  bridge: 128,
}
/** KIND_BITS.publish and .deliver as constants, for the hot paths. */
export const PUBLISH_BIT = 1
export const DELIVER_BIT = 2

/** The bits of `kinds` (all kinds when undefined); throws InvalidOptionError on anything else. */
export function kindMask(kinds: readonly InspectionKind[] | undefined): number {
  if (kinds === undefined) return 255
  const expected = 'an array of kinds: publish, deliver, drop, reject, error, subscribe, unsubscribe, bridge'
  if (!Array.isArray(kinds)) throw new InvalidOptionError('inspect kinds', kinds, expected)
  let mask = 0
  for (const k of kinds) {
    const bit = typeof k === 'string' && Object.hasOwn(KIND_BITS, k) ? KIND_BITS[k as InspectionKind] : 0
    if (!bit) throw new InvalidOptionError('inspect kinds', k, expected)
    mask |= bit
  }
  return mask
}
