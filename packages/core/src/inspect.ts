// The typed instrumentation stream behind bus.inspect(). Nothing here is built unless someone
// inspects: the bus checks for inspectors before creating any of these objects.
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
