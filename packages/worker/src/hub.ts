// The bridges of one bus (a SharedWorker bus has one per connected page). An event one bridge
// brings in is handed to the others before local handlers run, so their peers get the cause
// before any reaction a handler publishes; the bus observers of those bridges then skip it.
import type { TidingsEvent } from '@tidings/core'

export interface HubMember {
  accepts(type: string): boolean
  send(event: TidingsEvent, incarnation: string): void
}

export interface Hub {
  readonly bridges: Set<HubMember>
  /** Events already handed to every other bridge: their bus observers skip them. */
  readonly forwarded: WeakSet<TidingsEvent>
}

const hubs = new WeakMap<object, Hub>()

export function hubOf(bus: object): Hub {
  let hub = hubs.get(bus)
  if (hub === undefined) hubs.set(bus, (hub = { bridges: new Set(), forwarded: new WeakSet() }))
  return hub
}

/** Hands `event` (just received by `from`) to the bus's other bridges that share its type. */
export function forwardToSiblings(hub: Hub, from: HubMember, event: TidingsEvent, incarnation: string): void {
  if (hub.bridges.size < 2) return
  for (const b of hub.bridges) if (b !== from && b.accepts(event.type)) b.send(event, incarnation)
  hub.forwarded.add(event)
}
