// The first layer of the bus (see bus.ts): publishing. An envelope is built (or, for a bridge,
// taken as is), routed through the RouteIndex and offered to every matching subscription in
// route order; the outcomes fold into the PublishReceipt. Schemas, guards, publish acks, handler
// failures ('$tidings.error', errors$) and inspection live here too, since publishing uses them.
// The hot path is publish() (see there); the general one publishInternal() -> envelope() -> deliver().
import type { Observable, Unsubscribable } from 'rxjs'
import { now } from './clock.js'
import { createOriginId, type TidingsEvent } from './envelope.js'
import { EventIds } from './event-id.js'
import { BusClosedError, InvalidOptionError, QueueFullError, ValidationError } from './errors.js'
import { Guards } from './guard.js'
import { KIND_BITS, kindMask, PUBLISH_BIT, type InspectionEvent, type InspectOptions } from './inspect.js'
import { Multicast } from './multicast.js'
import * as Outcome from './outcome.js'
import { EventRegistry } from './registry.js'
import { RouteIndex } from './route-index.js'
import type { StandardSchemaV1 } from './schema.js'
import type { BaseSubscription, BusInternals } from './subscription.js'
import type { DeliveryTracker } from './tracker.js'
import type { BusOptions, HandlerFailure, PublishAck, PublishOptions, PublishReceipt } from './types.js'

export const ERROR_TOPIC = '$tidings.error'

type Inspector = (e: InspectionEvent) => void
/** An observer and the KIND_BITS of the kinds it asked for. */
interface Watcher {
  fn: Inspector
  mask: number
  /** InspectOptions.sample, for 'publish' inspections. */
  sample: ((event: TidingsEvent) => boolean) | undefined
}
export type PublishInputLike = { type: string; data?: unknown; id?: string; origin?: string; seq?: number; timestamp?: number } & PublishOptions

let busCount = 0

export abstract class PublishingBus implements BusInternals {
  // `declare`d fields are set in the constructor (no definitions as undefined first, to ship).
  // TypeScript `private`, not #fields, which measured slower in publish() (docs/size.md).
  declare readonly name: string
  declare readonly origin: string
  closed = false
  /** True while any inspector is attached (whatever kinds it asked for). */
  inspecting = false
  /** The union of the attached inspectors' KIND_BITS: a kind's inspection is built only when
   *  its bit is set. */
  inspected = 0
  readonly counters = { delivered: 0, dropped: 0, rejected: 0, errors: 0 }

  /** Events published so far: the next event's seq, and stats().published. */
  protected seq = 0
  private declare readonly ids: EventIds
  protected declare readonly index: RouteIndex<BaseSubscription>
  protected readonly registry = new EventRegistry()
  protected readonly guards = new Guards()
  /** Mirrors guards.size > 0 as a plain field: read on every publish. */
  protected guarded = false
  private inspectors: Watcher[] = []
  private acks: PublishAck[] = []
  protected readonly failures = new Multicast<HandlerFailure>()
  private readonly bridged = new WeakMap<TidingsEvent, string>()
  private readonly localEvents = new WeakSet<TidingsEvent>()
  private declare readonly source: BusOptions['source']
  /** Cleanups run on shutdown: schedules and pending requests register here. */
  readonly shutdownHooks = new Set<() => void>()

  readonly errors$: Observable<HandlerFailure> = this.failures.observable

  // What the later layers add (BusInternals: subscriptions report back through these).
  abstract readonly tracking: number
  abstract trackerFor(event: TidingsEvent): DeliveryTracker | undefined
  abstract detach(sub: BaseSubscription): void

  constructor(options: Omit<BusOptions, 'schemas'> & { schemas?: object }) {
    this.name = options.name ?? `bus${busCount++ || ''}`
    this.origin = options.origin ?? createOriginId()
    this.ids = new EventIds(this.origin)
    this.source = options.source
    this.index = new RouteIndex(options.routeCacheSize)
    for (const [type, schema] of Object.entries(options.schemas ?? {}))
      if (schema) this.registry.define(type, { schema: schema as StandardSchemaV1 })
    this.replan()
  }

  publish(typeOrInput: string | PublishInputLike, data?: unknown, opts?: PublishOptions): PublishReceipt {
    // The fast path: publish(type, data) on a plain bus, to one route: publishInternal(),
    // envelope() and deliver() minus every check `plain` rules out, kept small so V8 inlines it
    // (with the route lookup, the id, the clock and a sync subscription's deliver()) into the
    // caller, where an unused receipt costs nothing.
    if (opts === undefined && typeof typeOrInput === 'string' && this.plain) {
      const routes = this.index.match(typeOrInput)
      if (routes.length === 1) {
        const sub = routes[0]!
        const seq = this.seq++
        const id = this.ids.next()
        const event: TidingsEvent = { id, type: typeOrInput, timestamp: now(), version: 1, data, origin: this.origin, seq }
        const outcome = sub.deliver(event)
        // An inspector takes the same route, then oneRoute() builds its 'publish' inspection.
        if (outcome !== Outcome.Delivered || !this.plain || this.inspected !== 0) return this.oneRoute(event, sub, outcome)
        this.counters.delivered++
        return { id, matched: 1, delivered: 1, queued: 0, dropped: 0, rejected: 0 }
      }
      return this.publishRoutes(typeOrInput, data, routes)
    }
    return this.publishSlow(typeOrInput, data, opts)
  }

  /** publish(type, data) on a plain bus to no route or several: publishInternal() minus what
   *  `plain` rules out. V8 inlines it into publish() where it runs often (a wildcard bus, whose
   *  topics mostly match nothing: an unused receipt is then not allocated, past-the-cache 1k
   *  patterns ~54 -> ~47 ns), and where it never runs publish() stays as small as before. */
  private publishRoutes(type: string, data: unknown, routes: BaseSubscription[]): PublishReceipt {
    if (routes.length === 0 && !this.inspecting) return this.unrouted(undefined)
    return this.deliver(this.envelope(type, data, undefined, undefined), routes, undefined)
  }

  /** publish() with options or an object, or on a bus that is not plain. Out of line: V8 weighs
   *  publish()'s own bytecode when deciding to inline it into its caller (40 bytes less made that
   *  happen in every run of the 1000-names bench instead of one in three). */
  private publishSlow(typeOrInput: string | PublishInputLike, data: unknown, opts: PublishOptions | undefined): PublishReceipt {
    if (typeof typeOrInput === 'string') return this.publishInternal(typeOrInput, data, opts, undefined)
    return this.publishInternal(typeOrInput?.type, typeOrInput?.data, typeOrInput, typeOrInput)
  }

  /** The fast path's receipt when its one route did something other than deliver (skipped,
   *  queued, dropped, refused), or when the bus stopped being plain during the handler (an
   *  inspector attached there still sees this publish). */
  private oneRoute(event: TidingsEvent, sub: BaseSubscription, outcome: Outcome.Code): PublishReceipt {
    const receipt: PublishReceipt = { id: event.id, matched: 1, delivered: 0, queued: 0, dropped: 0, rejected: 0 }
    let refused: BaseSubscription[] | undefined
    if (outcome === Outcome.Delivered) receipt.delivered = 1
    else if (outcome !== Outcome.Skipped) refused = this.tally(outcome, sub, event, receipt, undefined, undefined)
    return this.finish(event, receipt, refused)
  }

  /** Whether nothing calls for publish's slow path: open, no schema, no guard and no bus-wide
   *  `source`. One field read per publish instead of four; kept up to date by replan() wherever
   *  one of them changes. Inspectors do not rule it out: a subscription builds its own 'deliver'
   *  inspection, and oneRoute() the 'publish' one, so a DevTools panel (which asks for no
   *  'deliver') costs a publish one inspection object, not the general path. */
  protected plain = false

  protected replan(): void {
    this.plain = !this.closed && !this.guarded && this.registry.schemas.size === 0 && this.source === undefined
  }

  async publishAsync(typeOrInput: string | PublishInputLike, data?: unknown, opts?: PublishOptions): Promise<PublishReceipt> {
    const input = typeof typeOrInput === 'string' ? undefined : typeOrInput
    const type = typeof typeOrInput === 'string' ? typeOrInput : typeOrInput?.type
    const o = input ?? opts
    if (this.closed) throw new BusClosedError(this.name)
    // Held across the schema's await: a copy, since route lists change in place (route-index.ts).
    const routes = this.index.match(type).slice()
    // The acks (a history's "stored") are those in place when publishAsync is called, like the
    // routes: one detached meanwhile still answers for this event, if only to say it was not stored.
    const acks = this.acks
    const value = await this.validate(type, input ? input.data : data)
    if (this.guarded) this.guards.checkPublish(type, o?.key)
    const event = this.envelope(type, value, o, input)
    const blocked: BaseSubscription[] = []
    const receipt = this.deliver(event, routes, blocked)
    if (blocked.length) {
      const results = await Promise.all(blocked.map((s) => s.queue!.waitForRoom(event)))
      const refused = blocked.filter((_, i) => !results[i])
      receipt.queued += blocked.length - refused.length
      receipt.rejected += refused.length
      if (refused.length) {
        this.counters.rejected += refused.length
        throw new QueueFullError(type, refused.map((s) => s.id), refused[0]!.queue!.capacity, ' (block timed out)')
      }
    }
    if (acks.length) await Promise.all(acks.map((ack) => ack(event)))
    return receipt
  }

  /** Publishes from inside a handler: keeps the correlation, sets causation. */
  publishFrom(cause: TidingsEvent, type: string, data: unknown, opts?: PublishOptions): PublishReceipt {
    // (A correlationId of undefined is skipped when the envelope is built.)
    return this.publishInternal(type, data, { ...opts, causationId: cause.id, correlationId: opts?.correlationId ?? cause.correlationId } as PublishOptions, undefined)
  }

  ingest(event: TidingsEvent, bridge: string): PublishReceipt {
    if (this.closed) throw new BusClosedError(this.name)
    const routes = this.index.match(event.type)
    this.bridged.set(event, bridge)
    if (this.inspected & KIND_BITS.bridge) this.emitInspection({ kind: 'bridge', at: now(), event, bridge, direction: 'in' })
    return this.deliver(event, routes, undefined)
  }

  bridgedBy(event: TidingsEvent): string | undefined {
    return this.bridged.get(event)
  }

  isLocal(event: TidingsEvent): boolean {
    return this.localEvents.has(event)
  }

  /** Bridges call this when an event leaves the context, so inspectors can show it. */
  noteBridgedOut(event: TidingsEvent, bridge: string): void {
    if (this.inspected & KIND_BITS.bridge) this.emitInspection({ kind: 'bridge', at: now(), event, bridge, direction: 'out' })
  }

  addPublishAck(ack: PublishAck): () => void {
    this.acks = [...this.acks, ack]
    return () => {
      this.acks = this.acks.filter((a) => a !== ack)
    }
  }

  protected publishInternal(type: string, data: unknown, opts: PublishOptions | undefined, input: PublishInputLike | undefined): PublishReceipt {
    if (this.closed) throw new BusClosedError(this.name)
    const routes = this.index.match(type)
    if (this.registry.schemas.size !== 0) data = this.validate(type, data, true)
    if (this.guarded) this.guards.checkPublish(type, opts?.key)
    // Nobody can see an event that matched nothing while no inspector watches: skip building it.
    if (routes.length === 0 && !this.inspecting) return this.unrouted(input)
    const event = this.envelope(type, data, opts, input)
    return this.deliver(event, routes, undefined)
  }

  /** The receipt of a publish that matched no subscription (ids and seq advance as usual). */
  private unrouted(input: PublishInputLike | undefined): PublishReceipt {
    this.seq++
    const id = this.ids.next()
    return { id: input?.id ?? id, matched: 0, delivered: 0, queued: 0, dropped: 0, rejected: 0 }
  }

  protected envelope(type: string, data: unknown, opts: PublishOptions | undefined, input: PublishInputLike | undefined): TidingsEvent {
    const seq = this.seq++
    if (opts === undefined && this.source === undefined) {
      return { id: this.ids.next(), type, timestamp: now(), version: 1, data, origin: this.origin, seq }
    }
    const ownId = this.ids.next() // always drawn, so ids stay in step with seq
    const e: TidingsEvent = {
      id: input?.id ?? ownId,
      type,
      timestamp: input?.timestamp ?? now(),
      version: 1,
      data,
      origin: input?.origin ?? this.origin,
      seq: input?.seq ?? seq,
    }
    const source = opts?.source ?? this.source
    if (source !== undefined) e.source = source
    if (opts !== undefined) {
      if (opts.correlationId !== undefined) e.correlationId = opts.correlationId
      if (opts.causationId !== undefined) e.causationId = opts.causationId
      if (opts.metadata !== undefined) e.metadata = opts.metadata
      if (opts.priority !== undefined) e.priority = opts.priority
      if (opts.persistent !== undefined) e.persistent = opts.persistent
      if (opts.ttlMs !== undefined) e.ttlMs = opts.ttlMs
      if (opts.local === true) this.localEvents.add(e)
    }
    return e
  }

  // The common outcome (delivered) costs one compare here; queued, dropped, rejected and full
  // are counted in tally(). (Splitting it out measured no speed change: it is for reading.)
  // Routes come buffered first (route-index.ts), so a handler that publishes from in here cannot
  // get its event into a queue or inbox ahead of this one.
  protected deliver(event: TidingsEvent, routes: readonly BaseSubscription[], blocked: BaseSubscription[] | undefined): PublishReceipt {
    const receipt: PublishReceipt = { id: event.id, matched: routes.length, delivered: 0, queued: 0, dropped: 0, rejected: 0 }
    let refused: BaseSubscription[] | undefined
    const index = this.index
    // Route lists change in place only while nothing delivers from them (route-index.ts).
    index.pinned++
    try {
      for (let i = 0; i < routes.length; i++) {
        const sub = routes[i]!
        if (this.guarded && !this.guards.mayReceive(event.type, sub.key)) continue
        const outcome = sub.deliver(event)
        if (outcome === Outcome.Delivered) receipt.delivered++
        else if (outcome !== Outcome.Skipped) refused = this.tally(outcome, sub, event, receipt, blocked, refused)
      }
    } finally {
      index.pinned--
    }
    return this.finish(event, receipt, refused)
  }

  /** The end of every publish: counts, the 'publish' inspection, and the error for refusals. */
  private finish(event: TidingsEvent, receipt: PublishReceipt, refused: BaseSubscription[] | undefined): PublishReceipt {
    this.counters.delivered += receipt.delivered
    if (this.inspected & PUBLISH_BIT) this.inspectPublish(event, receipt)
    if (refused !== undefined) throw new QueueFullError(event.type, refused.map((s) => s.id), refused[0]!.queue!.capacity)
    return receipt
  }

  /** Counts an outcome other than delivered/skipped; returns the subscriptions that refused. */
  private tally(
    outcome: Outcome.Code,
    sub: BaseSubscription,
    event: TidingsEvent,
    receipt: PublishReceipt,
    blocked: BaseSubscription[] | undefined,
    refused: BaseSubscription[] | undefined,
  ): BaseSubscription[] | undefined {
    if (outcome === Outcome.Queued || outcome === Outcome.QueuedEvicted) receipt.queued++
    if (outcome === Outcome.Dropped || outcome === Outcome.QueuedEvicted) {
      receipt.dropped++
      this.counters.dropped++
    }
    if (outcome === Outcome.Full) {
      // Only publishAsync waits for room; sync publish treats 'block' as 'reject'.
      if (blocked !== undefined) {
        blocked.push(sub)
        return refused
      }
      sub.queue!.refuse(event, "queue full ('block' in a sync publish; use publishAsync to wait)")
    }
    if (outcome === Outcome.Full || outcome === Outcome.Rejected) {
      receipt.rejected++
      this.counters.rejected++
      ;(refused ??= []).push(sub)
    }
    return refused
  }

  /** `data` checked by its type's schema: the value, or with `sync` false a promise of it for an
   *  asynchronous schema (with `sync` true that throws: use publishAsync). */
  protected validate(type: string, data: unknown, sync?: boolean): unknown {
    const schema = this.registry.schemas.get(type)
    if (schema === undefined) return data
    const result = schema['~standard'].validate(data)
    if (!(result instanceof Promise)) return checked(type, result)
    if (!sync) return result.then((r) => checked(type, r))
    result.catch(() => {})
    throw new ValidationError(type, [{ message: 'the schema validates asynchronously' }], 'use publishAsync() for types with async schemas')
  }

  // ---------------------------------------------------------------- handler failures, inspection
  reportFailure(f: HandlerFailure, final: boolean, attempt: number): void {
    if (this.inspected & KIND_BITS.error)
      this.emitInspection({ kind: 'error', at: now(), event: f.event, subscriptionId: f.subscriptionId, error: f.error, attempt, final })
    if (!final) return
    this.counters.errors++
    this.failures.next(f)
    // Never report a failing error handler as another error event: that would loop.
    if (f.event.type !== ERROR_TOPIC && !this.closed) {
      const data = {
        name: f.error.name,
        message: f.error.message,
        eventId: f.event.id,
        eventType: f.event.type,
        subscriptionId: f.subscriptionId,
        attempts: f.attempts,
        ...(f.label !== undefined ? { label: f.label } : {}),
      }
      this.publishInternal(ERROR_TOPIC, data, { causationId: f.event.id, ...(f.event.correlationId ? { correlationId: f.event.correlationId } : {}) }, undefined)
    }
  }

  inspect(observer: Inspector | { next: Inspector }, options?: InspectOptions): Unsubscribable {
    const fn: Inspector = typeof observer === 'function' ? observer : (e) => observer.next(e)
    const sample = options?.sample
    if (sample !== undefined && typeof sample !== 'function') throw new InvalidOptionError('inspect sample', sample, 'a function')
    const watcher: Watcher = { fn, mask: kindMask(options?.kinds), sample }
    // What the bus builds follows what its inspectors asked for (recomputed on every change).
    const set = (list: Watcher[]) => {
      this.inspectors = list
      this.inspecting = list.length > 0
      this.inspected = list.reduce((mask, w) => mask | w.mask, 0)
      this.replan()
    }
    set([...this.inspectors, watcher])
    return { unsubscribe: () => set(this.inspectors.filter((w) => w !== watcher)) }
  }

  /** The 'publish' inspection: each inspector's sampler is asked once, and the inspection is
   *  built only if some inspector takes the publish. */
  private inspectPublish(event: TidingsEvent, receipt: PublishReceipt): void {
    let e: InspectionEvent | undefined
    for (const w of this.inspectors)
      if (w.mask & PUBLISH_BIT)
        try {
          if (!w.sample || w.sample(event)) w.fn((e ??= { kind: 'publish', at: now(), event, receipt }))
        } catch (err) {
          // A sampler or inspector must never break publishing.
          console.error('[tidings] inspector threw', err)
        }
  }

  /** Hands `e` to every inspector that asked for its kind. */
  emitInspection(e: InspectionEvent): void {
    const bit = KIND_BITS[e.kind]
    for (const w of this.inspectors) {
      if ((w.mask & bit) === 0) continue
      try {
        w.fn(e)
      } catch (err) {
        // An inspector (devtools, a logger) must never break publishing.
        console.error('[tidings] inspector threw', err)
      }
    }
  }
}

function checked(type: string, result: StandardSchemaV1.Result<unknown>): unknown {
  if (result.issues) throw new ValidationError(type, result.issues)
  return result.value
}
