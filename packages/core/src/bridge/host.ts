// The bus as a bridge sees it. Bridges need a few members apps never call (ingest an event that
// keeps its origin, ask which bridge brought an event in, wait for a publish to be stored); they
// reach them through bridgeHost() instead of the app-facing Bus type.
import type { Observable } from 'rxjs'
import { createOriginId, type TidingsEvent } from '../envelope.js'
import { TidingsError } from '../errors.js'
import type { Patterns, PublishAck, PublishReceipt } from '../types.js'

export interface BridgeHost {
  readonly name: string
  readonly origin: string
  readonly closed: boolean
  on(patterns: Patterns<string>): Observable<TidingsEvent>
  /** Delivers an event from another context locally, keeping its id, origin and seq. */
  ingest(event: TidingsEvent, bridge: string): PublishReceipt
  /** The bridge that ingested `event`, if any. */
  bridgedBy(event: TidingsEvent): string | undefined
  /** For inspection: `event` left over `bridge`. */
  noteBridgedOut(event: TidingsEvent, bridge: string): void
  /** Published with { local: true }: never bridged. */
  isLocal(event: TidingsEvent): boolean
  /** publishAsync waits for the promises `ack` returns (history: until stored). */
  addPublishAck(ack: PublishAck): () => void
  /** Topics in the bus's route cache (bounded by its routeCacheSize option), for tests and tools. */
  readonly routeCacheSize: number
  /** Active subscriptions that would receive an event of this (exact) type. */
  subscriberCount?(type: string): number
  /** An inspector (DevTools) watches: it sees every event, routed or not. */
  readonly inspecting?: boolean
  /** The dispatch()/request() call waiting on `event`, if any; `tracking` counts them. */
  trackerFor?(event: TidingsEvent): unknown
  readonly tracking?: number
}

/** A value passed as the bus is not a bus made by createBus(). */
export class NotABusError extends TidingsError {
  override name = 'NotABusError'
  readonly input: unknown
  constructor(what: string, input: unknown) {
    super(`${what} needs a bus made by createBus() from @tidings/core, got ${describe(input)}.`)
    this.input = input
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v !== 'object') return typeof v
  return 'an object without the bus methods'
}

const MEMBERS = ['ingest', 'bridgedBy', 'noteBridgedOut', 'isLocal', 'addPublishAck', 'on'] as const

/** The bridge view of `bus`; throws NotABusError (naming `what`) for anything else. */
export function bridgeHost(bus: unknown, what: string): BridgeHost {
  if (typeof bus !== 'object' || bus === null) throw new NotABusError(what, bus)
  for (const m of MEMBERS) if (typeof (bus as Record<string, unknown>)[m] !== 'function') throw new NotABusError(what, bus)
  return bus as BridgeHost
}

const incarnations = new WeakMap<object, string>()

/** The random incarnation of `bus`: with its origin, the session its own events belong to. */
export function incarnationOf(bus: object): string {
  let inc = incarnations.get(bus)
  if (inc === undefined) incarnations.set(bus, (inc = createOriginId('i').slice(2)))
  return inc
}

const eventSessions = new WeakMap<TidingsEvent, string>()

/** Remembers the incarnation an ingested event came with, for bridges that forward it on. */
export function noteIncarnation(event: TidingsEvent, incarnation: string): void {
  eventSessions.set(event, incarnation)
}

/** The incarnation of `event`'s session as seen from `bus`: the bus's own for its own events,
 *  the one it was ingested with otherwise, '' when unknown (e.g. an imported event). */
export function incarnationOfEvent(bus: BridgeHost, event: TidingsEvent): string {
  if (event.origin === bus.origin && bus.bridgedBy(event) === undefined) return incarnationOf(bus)
  return eventSessions.get(event) ?? ''
}
