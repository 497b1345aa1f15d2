// System events (docs/core.md "System events"): typed `$tidings.*` topics the bus and the bridges
// publish about themselves, MQTT's `$SYS` for one bus. Wildcards never match them unless the
// pattern itself starts with `$` (the route index already keeps `$` topics out of `*`/`**`
// patterns). They cost nothing while nobody listens: the bus counts subscriptions whose pattern
// starts with `$`, and builds a system event's data and envelope only when that count is not 0
// and the exact topic has a route.
import type { TidingsEvent } from './envelope.js'
import type { MatchingKeys, QueueStrategy, SubscriptionKind } from './types.js'

/** The version of @tidings/core, as `$tidings.bus.started` reports it. */
export const VERSION = '0.1.0'

/** `$tidings.subscription.added` / `.removed`: `pattern` is the subscription's pattern, or its
 *  patterns when it has several. */
export type SubscriptionChange = {
  id: string
  pattern: string | string[]
  kind: SubscriptionKind
  label?: string
}

/** `$tidings.error`: a handler's final failure, or a `@publishes` method that threw (`method`). */
export type ErrorEventData = {
  name: string
  message: string
  eventId?: string
  eventType?: string
  subscriptionId?: string
  attempts?: number
  label?: string
  /** For a `@publishes` method: `ClassName.method`. */
  method?: string
}

/**
 * Every system topic and its data. Merged into every bus's event map: `bus.subscribe(
 * '$tidings.bus.started', (e) => e.data.version)` is typed on any bus.
 */
export interface SystemEventMap {
  /** Published once, in the microtask after createBus(): a subscriber added synchronously right
   *  after createBus() receives it. `version` is @tidings/core's. */
  '$tidings.bus.started': { name: string; origin: string; version: string }
  /** The last event of a bus, after its queues drained (or the drain timed out): `graceful` when
   *  nothing was left undelivered; `dropped` counts what was. */
  '$tidings.bus.shutdown': { reason: string; graceful: boolean; drained: number; dropped: number }
  '$tidings.subscription.added': SubscriptionChange
  '$tidings.subscription.removed': SubscriptionChange
  /** A full queue or inbox lost (`dropped`) or refused (`rejected`) events. Coalesced: at most
   *  one per subscription per task, counting everything since the previous one. */
  '$tidings.queue.overflow': { subscription: string; label?: string; strategy: QueueStrategy; dropped: number; rejected: number }
  '$tidings.error': ErrorEventData
  /** @tidings/tabs: a tab joined or left the channel. */
  '$tidings.tabs.peer.joined': { channel: string; peer: string; origin: string }
  '$tidings.tabs.peer.left': { channel: string; peer: string; origin: string; reason: string }
  /** @tidings/worker: the worker behind a bridge stopped answering (crashed, terminated or
   *  stuck) / answers again. `worker` is the bridge's name. From a pool (createWorkerPool's
   *  `bus` option): a pool worker crashed, hung or failed to start and was terminated / its
   *  replacement is ready; `worker` is `pool:<name>#<index>`. */
  '$tidings.worker.crashed': { worker: string; reason: string }
  '$tidings.worker.restarted': { worker: string }
  /** @tidings/history: a write, capture or connection failed. */
  '$tidings.history.error': { db: string; name: string; message: string }
  /** @tidings/nats: the connection's status changed. */
  '$tidings.nats.status': { status: string; server?: string }
}

export type SystemTopic = keyof SystemEventMap

/** The typed envelope of the system topics a `$` pattern may match (`$tidings.**` -> all). */
export type SystemEventFor<P extends string> = [MatchingKeys<SystemEventMap, P>] extends [never]
  ? TidingsEvent<unknown, string>
  : { [K in MatchingKeys<SystemEventMap, P>]: TidingsEvent<SystemEventMap[K], K> }[MatchingKeys<SystemEventMap, P>]

/** What the bus exposes to publish system events (not on the app-facing Bus type). */
export interface SystemHost {
  /** Subscriptions with a `$` pattern: while 0, no system event is built. */
  readonly sys: number
  systemEvent(type: string, data: object | (() => object)): void
}

/**
 * Publishes one system event on `bus` (bridges call this on each state change): nothing is built
 * unless someone subscribed to `type` exactly or through a `$` pattern. Pass `data` as a function
 * to build it only then. Never throws; the event is local (no bridge forwards it).
 */
export function emitSystemEvent<K extends SystemTopic>(bus: object, type: K, data: SystemEventMap[K] | (() => SystemEventMap[K])): void {
  const host = bus as Partial<SystemHost>
  if (host.sys) host.systemEvent!(type, data as object)
}
