// The bus: publish routes an envelope to matching subscriptions through the RouteIndex; everything
// else (queues, dispatch, request/reply, inboxes, schedules) is built on subscriptions.
import type { Observable, Subscriber, Unsubscribable } from 'rxjs'
import { now } from './clock.js'
import { createOriginId, type TidingsEvent } from './envelope.js'
import { EventIds } from './event-id.js'
import { BusObservable, deliverTo } from './bus-observable.js'
import { checkTimeout } from './delivery-options.js'
import { DispatchTracker, type OpenTracker } from './dispatch.js'
import { AbortedError, BusClosedError, NoHandlerError, NoResponderError, QueueFullError, toError, ValidationError } from './errors.js'
import { Guards } from './guard.js'
import { HandlerSubscription, type PolicyOptions } from './handler-subscription.js'
import type { InspectionEvent } from './inspect.js'
import { InboxSubscription } from './inbox.js'
import { Multicast } from './multicast.js'
import { EventRegistry } from './registry.js'
import { Deadlines, DEFAULT_REQUEST_TIMEOUT_MS, PendingRequest } from './request-reply.js'
import { RouteIndex } from './route-index.js'
import { startSchedule } from './schedule.js'
import type { StandardSchemaV1 } from './schema.js'
import * as Outcome from './outcome.js'
import { BaseSubscription, type BusInternals } from './subscription.js'
import { SyncSubscription, type SyncHandler, type SyncSubscriptionOptions } from './sync-subscription.js'
import { checkGlobSupport } from './glob-support.js'
import { assertPattern, assertTopic, hasWildcard } from './topic.js'
import { isHandlerKind } from './tracker.js'
import type {
  Bus,
  BusOptions,
  BusStats,
  DispatchResult,
  EventFor,
  EventMap,
  EventMapOf,
  Handler,
  HandlerFailure,
  Inbox,
  InboxOptions,
  Patterns,
  PublishAck,
  PublishOptions,
  PublishReceipt,
  ScheduledEvent,
  ScheduleOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionInfo,
  SubscriptionKind,
  TypedEventHandle,
} from './types.js'

export const ERROR_TOPIC = '$tidings.error'

type Inspector = (e: InspectionEvent) => void
type PublishInputLike = { type: string; data?: unknown; id?: string; origin?: string; seq?: number; timestamp?: number } & PublishOptions

let busCount = 0

export function createBus<M extends EventMapOf<M> = EventMap>(options: BusOptions<M> = {}): Bus<M> {
  return new TidingsBus<M>(options)
}

export class TidingsBus<M extends EventMapOf<M> = EventMap> implements Bus<M>, BusInternals {
  // `declare`d fields are set in the constructor: ES2022 output would otherwise define each one
  // first (as undefined), in every bundle.
  declare readonly name: string
  declare readonly origin: string
  closed = false
  inspecting = false
  readonly counters = { delivered: 0, dropped: 0, rejected: 0, errors: 0 }

  /** Events published so far: the next event's seq, and stats().published. */
  private seq = 0
  private declare readonly ids: EventIds
  private declare readonly index: RouteIndex<BaseSubscription>
  private readonly subs = new Set<BaseSubscription>()
  private readonly registry = new EventRegistry()
  private readonly guards = new Guards()
  /** Mirrors guards.size > 0 as a plain field: read on every publish. */
  private guarded = false
  private inspectors: Inspector[] = []
  private acks: PublishAck[] = []
  private readonly failures = new Multicast<HandlerFailure>()
  private readonly bridged = new WeakMap<TidingsEvent, string>()
  private readonly localEvents = new WeakSet<TidingsEvent>()
  private declare readonly source: BusOptions['source']
  /** Cleanups run on shutdown: schedules and pending requests register here. */
  readonly shutdownHooks = new Set<() => void>()
  /** dispatch()/request() calls in flight, by their event; `tracking` mirrors the size so
   *  subscriptions skip the lookup with one compare when nothing is tracked. */
  private readonly trackers = new Map<TidingsEvent, OpenTracker>()
  tracking = 0
  /** Timeouts of pending requests (one shared timer). */
  readonly deadlines = new Deadlines(() => this.trackers.values())

  readonly errors$: Observable<HandlerFailure> = this.failures.observable

  constructor(options: BusOptions<M>) {
    this.name = options.name ?? `bus${busCount++ || ''}`
    this.origin = options.origin ?? createOriginId()
    this.ids = new EventIds(this.origin)
    this.source = options.source
    this.index = new RouteIndex(options.routeCacheSize ?? 2048)
    for (const [type, schema] of Object.entries(options.schemas ?? {}))
      if (schema) this.registry.define(type, { schema: schema as StandardSchemaV1 })
  }

  // ---------------------------------------------------------------- publish

  publish(typeOrInput: string | PublishInputLike, data?: unknown, opts?: PublishOptions): PublishReceipt {
    if (typeof typeOrInput === 'string') return this.publishInternal(typeOrInput, data, opts, undefined)
    return this.publishInternal(typeOrInput?.type, typeOrInput?.data, typeOrInput, typeOrInput)
  }

  async publishAsync(typeOrInput: string | PublishInputLike, data?: unknown, opts?: PublishOptions): Promise<PublishReceipt> {
    const input = typeof typeOrInput === 'string' ? undefined : typeOrInput
    const type = typeof typeOrInput === 'string' ? typeOrInput : typeOrInput?.type
    const o = input ?? opts
    const payload = input ? input.data : data
    if (this.closed) throw new BusClosedError(this.name)
    const routes = this.index.match(type)
    const value = await this.validateAsync(type, payload)
    if (this.guards.size) this.guards.checkPublish(type, o?.key)
    const event = this.envelope(type, value, o, input)
    const blocked: BaseSubscription[] = []
    const receipt = this.deliver(event, routes, blocked)
    if (blocked.length) {
      const results = await Promise.all(blocked.map((s) => s.queue!.waitForRoom(event)))
      const refused: BaseSubscription[] = []
      results.forEach((ok, i) => {
        if (ok) receipt.queued++
        else {
          receipt.rejected++
          refused.push(blocked[i]!)
        }
      })
      if (refused.length) {
        this.counters.rejected += refused.length
        throw new QueueFullError(type, refused.map((s) => s.id), refused[0]!.queueMax(), ' (block timed out)')
      }
    }
    if (this.acks.length) await Promise.all(this.acks.map((ack) => ack(event)))
    return receipt
  }

  /** Publishes from inside a handler: keeps the correlation, sets causation. */
  publishFrom(cause: TidingsEvent, type: string, data: unknown, opts?: PublishOptions): PublishReceipt {
    const o: PublishOptions = { ...opts, causationId: cause.id }
    const correlationId = opts?.correlationId ?? cause.correlationId
    if (correlationId !== undefined) o.correlationId = correlationId
    return this.publishInternal(type, data, o, undefined)
  }

  ingest(event: TidingsEvent, bridge: string): PublishReceipt {
    if (this.closed) throw new BusClosedError(this.name)
    const routes = this.index.match(event.type)
    this.bridged.set(event, bridge)
    if (this.inspecting) this.emitInspection({ kind: 'bridge', at: Date.now(), event, bridge, direction: 'in' })
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
    if (this.inspecting) this.emitInspection({ kind: 'bridge', at: Date.now(), event, bridge, direction: 'out' })
  }

  private publishInternal(type: string, data: unknown, opts: PublishOptions | undefined, input: PublishInputLike | undefined): PublishReceipt {
    if (this.closed) throw new BusClosedError(this.name)
    const routes = this.index.match(type)
    if (this.registry.schemas.size !== 0) data = this.validateSync(type, data)
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

  private envelope(type: string, data: unknown, opts: PublishOptions | undefined, input: PublishInputLike | undefined): TidingsEvent {
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
  private deliver(event: TidingsEvent, routes: readonly BaseSubscription[], blocked: BaseSubscription[] | undefined): PublishReceipt {
    const receipt: PublishReceipt = { id: event.id, matched: routes.length, delivered: 0, queued: 0, dropped: 0, rejected: 0 }
    let refused: BaseSubscription[] | undefined
    for (let i = 0; i < routes.length; i++) {
      const sub = routes[i]!
      if (this.guarded && !this.guards.mayReceive(event.type, sub.key)) continue
      const outcome = sub.deliver(event)
      if (outcome === Outcome.Delivered) receipt.delivered++
      else if (outcome !== Outcome.Skipped) refused = this.tally(outcome, sub, event, receipt, blocked, refused)
    }
    this.counters.delivered += receipt.delivered
    if (this.inspecting) this.emitInspection({ kind: 'publish', at: Date.now(), event, receipt })
    if (refused !== undefined) throw new QueueFullError(event.type, refused.map((s) => s.id), refused[0]!.queueMax())
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
    switch (outcome) {
      case Outcome.Queued:
        receipt.queued++
        break
      case Outcome.QueuedEvicted:
        receipt.queued++
        receipt.dropped++
        this.counters.dropped++
        break
      case Outcome.Dropped:
        receipt.dropped++
        this.counters.dropped++
        break
      case Outcome.Full:
        // Only publishAsync waits for room; sync publish treats 'block' as 'reject'.
        if (blocked !== undefined) {
          blocked.push(sub)
          break
        }
        sub.queue!.refuse(event, "queue full ('block' in a sync publish; use publishAsync to wait)")
        receipt.rejected++
        this.counters.rejected++
        ;(refused ??= []).push(sub)
        break
      case Outcome.Rejected:
        receipt.rejected++
        this.counters.rejected++
        ;(refused ??= []).push(sub)
        break
    }
    return refused
  }

  private validateSync(type: string, data: unknown): unknown {
    const schema = this.registry.schemas.get(type)
    if (schema === undefined) return data
    const result = schema['~standard'].validate(data)
    if (result instanceof Promise) {
      result.catch(() => {})
      throw new ValidationError(type, [{ message: 'the schema validates asynchronously' }], 'use publishAsync() for types with async schemas')
    }
    if (result.issues) throw new ValidationError(type, result.issues)
    return result.value
  }

  private async validateAsync(type: string, data: unknown): Promise<unknown> {
    const schema = this.registry.schemas.get(type)
    if (schema === undefined) return data
    const result = await schema['~standard'].validate(data)
    if (result.issues) throw new ValidationError(type, result.issues)
    return result.value
  }

  // ---------------------------------------------------------------- subscribe

  on<P extends string>(pattern: Patterns<P>, opts?: { filter?: (e: EventFor<M, P>) => boolean; key?: string; priority?: number }): Observable<EventFor<M, P>> {
    const patterns = this.checkPatterns(pattern, opts?.key)
    // The events are typed by the event map at compile time only: at run time they are envelopes.
    return new BusObservable<EventFor<M, P>>((subscriber) => {
      if (this.closed) {
        subscriber.complete()
        return
      }
      // An observer that throws is reported as this subscription's failure (bus-observable.ts).
      const sub: SyncSubscription = new SyncSubscription(this, patterns, (e) => deliverTo(subscriber as Subscriber<TidingsEvent>, sub, e), {
        filter: opts?.filter as ((e: TidingsEvent) => boolean) | undefined,
        key: opts?.key,
        priority: opts?.priority,
        onClose: () => subscriber.complete(),
      }, 'observable')
      this.attach(sub)
      return () => sub.unsubscribe()
    })
  }

  subscribe<P extends string>(pattern: Patterns<P>, handler: Handler<EventFor<M, P>, M>, opts: SubscribeOptions<EventFor<M, P>> = {}): Subscription {
    return this.addHandler('subscribe', pattern, handler as Handler<TidingsEvent>, opts as SubscribeOptions)
  }

  reply<P extends string>(pattern: Patterns<P>, handler: Handler<EventFor<M, P>, M>, opts: SubscribeOptions<EventFor<M, P>> = {}): Subscription {
    return this.addHandler('reply', pattern, handler as Handler<TidingsEvent>, opts as SubscribeOptions)
  }

  /** subscribe() and reply(). Delivery policies (queue, concurrency, retry, timeoutMs) need a
   *  HandlerSubscription; without any the handler runs in publish, on the SyncSubscription hot
   *  path. */
  private addHandler(method: 'subscribe' | 'reply', pattern: Patterns, handler: Handler<TidingsEvent>, opts: SubscribeOptions): Subscription {
    if (typeof handler !== 'function') throw new TypeError(`${method}(${JSON.stringify(pattern)}): handler must be a function`)
    return this.add(pattern, opts.key, method, (patterns) => {
      const queued = opts.queue !== undefined || opts.concurrency !== undefined
      const kind: SubscriptionKind = method === 'reply' ? 'reply' : queued ? 'queued' : 'handler'
      return queued || opts.retry !== undefined || opts.timeoutMs !== undefined
        ? new HandlerSubscription(this, patterns, handler as SyncHandler, opts as PolicyOptions, kind)
        : new SyncSubscription(this, patterns, handler as SyncHandler, opts as SyncSubscriptionOptions, kind)
    })
  }

  /** Registers the subscription `make` builds on the checked patterns, unless the bus is shut
   *  down (`action` names what was refused). */
  private add<S extends BaseSubscription>(pattern: Patterns, key: string | undefined, action: string, make: (patterns: readonly string[]) => S): S {
    const patterns = this.checkPatterns(pattern, key)
    if (this.closed) throw new BusClosedError(this.name, action)
    const sub = make(patterns)
    this.attach(sub)
    return sub
  }

  /** Validates patterns (and guard keys) before anything is registered. */
  checkPatterns(pattern: Patterns, key: string | undefined): readonly string[] {
    const list = typeof pattern === 'string' ? [pattern] : [...new Set(pattern)]
    if (list.length === 0) throw new TypeError('Give at least one pattern')
    for (const p of list) {
      assertPattern(p)
      checkGlobSupport(p)
      if (this.guards.size) this.guards.checkSubscribe(p, !hasWildcard(p), key)
    }
    return list
  }

  attach(sub: BaseSubscription): void {
    this.subs.add(sub)
    for (const p of sub.patterns) this.index.add(p, sub)
    if (this.inspecting) this.emitInspection({ kind: 'subscribe', at: Date.now(), subscription: sub.info() })
  }

  detach(sub: BaseSubscription): void {
    if (!this.subs.delete(sub)) return
    for (const p of sub.patterns) this.index.remove(p, sub)
    if (this.inspecting) this.emitInspection({ kind: 'unsubscribe', at: Date.now(), subscriptionId: sub.id })
  }

  // ---------------------------------------------------------------- inboxes, dispatch, request/reply, schedules

  inbox<P extends string>(pattern: Patterns<P>, opts: InboxOptions & { key?: string; label?: string } = {}): Inbox<EventFor<M, P>> {
    const inbox: Inbox<TidingsEvent> = this.add(pattern, opts.key, 'open an inbox', (patterns) => new InboxSubscription(this, patterns, opts))
    return inbox as Inbox<EventFor<M, P>> // typed by the event map at compile time only
  }

  async dispatch(type: string, data?: unknown, opts: PublishOptions & { timeoutMs?: number; requireHandler?: boolean } = {}): Promise<DispatchResult> {
    if (this.closed) throw new BusClosedError(this.name, 'dispatch')
    const routes = this.index.match(type)
    const timeoutMs = opts.timeoutMs === undefined ? undefined : checkTimeout(opts.timeoutMs, 'dispatch timeoutMs')
    // Without a schema the handlers run right inside this call, like publish.
    const value = this.registry.schemas.has(type) ? await this.validateAsync(type, data) : data
    if (this.closed) throw new BusClosedError(this.name, 'dispatch')
    if (this.guards.size) this.guards.checkPublish(type, opts.key)
    if (opts.requireHandler === true && !this.hasRoute(routes, type, isHandlerKind)) throw new NoHandlerError(type)
    const event = this.envelope(type, value, opts, undefined)
    return this.sendTracked(event, routes, new DispatchTracker(event, timeoutMs, () => this.untrack(event)), [])
  }

  request<R>(type: string, data?: unknown, opts?: PublishOptions & { timeoutMs?: number; signal?: AbortSignal }): Promise<R> {
    // Not an async function: on the common path (no schema) the caller gets the pending
    // request's own promise, one promise and no extra ticks per round trip.
    try {
      if (this.closed) throw new BusClosedError(this.name, 'request')
      const routes = this.index.match(type)
      if (!this.hasRoute(routes, type, isReplyKind)) throw new NoResponderError(type)
      const timeoutMs = opts?.timeoutMs === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : checkTimeout(opts.timeoutMs, 'request timeoutMs')
      if (opts?.signal?.aborted) throw new AbortedError(`request "${type}" was aborted by its signal`)
      if (this.registry.schemas.has(type))
        return this.validateAsync(type, data).then((value) => this.sendRequest<R>(type, value, opts, routes, timeoutMs))
      return this.sendRequest<R>(type, data, opts, routes, timeoutMs)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private sendRequest<R>(type: string, value: unknown, opts: (PublishOptions & { signal?: AbortSignal }) | undefined, routes: readonly BaseSubscription[], timeoutMs: number): Promise<R> {
    if (this.closed) throw new BusClosedError(this.name, 'request')
    if (this.guards.size) this.guards.checkPublish(type, opts?.key)
    const event = this.envelope(type, value, opts, undefined)
    return this.sendTracked(event, routes, new PendingRequest<R>(event, timeoutMs, opts?.signal, this))
  }

  /** Delivers the event of a dispatch() or request() and returns what the call resolves with.
   *  A full 'reject' queue is that handler's result (its tracker settles it); anything else that
   *  throws ends the call. Only dispatch() passes `blocked`: it waits for room in 'block' queues. */
  private sendTracked<T>(event: TidingsEvent, routes: readonly BaseSubscription[], tracker: OpenTracker<T>, blocked?: BaseSubscription[]): Promise<T> {
    this.track(event, tracker)
    try {
      this.deliver(event, routes, blocked)
    } catch (err) {
      if (!(err instanceof QueueFullError)) {
        tracker.promise.catch(() => {})
        tracker.shutdown(this.name)
        throw err
      }
    }
    for (const sub of blocked ?? []) {
      tracker.expect(sub)
      void sub.queue!.waitForRoom(event).then((ok) => {
        if (!ok) this.counters.rejected++
      })
    }
    tracker.seal()
    return tracker.promise
  }

  schedule(type: string, data: unknown, opts: ScheduleOptions): ScheduledEvent {
    if (this.closed) throw new BusClosedError(this.name, 'schedule')
    assertTopic(type)
    // Checked once up front, so a tick cannot fail on data or keys later.
    const value = this.registry.schemas.size !== 0 ? this.validateSync(type, data) : data
    if (this.guards.size) this.guards.checkPublish(type, opts?.key)
    return startSchedule(
      opts,
      () => {
        try {
          this.publishInternal(type, value, opts, undefined)
        } catch (err) {
          // A full 'reject' queue is already counted and inspected; anything else is logged,
          // never thrown out of a timer into the app.
          if (!(err instanceof QueueFullError)) console.error('[tidings] scheduled publish failed', toError(err))
        }
      },
      this.shutdownHooks,
    )
  }

  trackerFor(event: TidingsEvent): OpenTracker | undefined {
    return this.trackers.get(event)
  }

  /** dispatch()/request() calls still waiting (tests check that none leak). */
  get pendingTracked(): number {
    return this.trackers.size
  }

  private track(event: TidingsEvent, tracker: OpenTracker): void {
    this.trackers.set(event, tracker)
    this.tracking = this.trackers.size
  }

  untrack(event: TidingsEvent): void {
    this.trackers.delete(event)
    this.tracking = this.trackers.size
  }

  /** Some active route of the given kinds may receive this topic (guards included). */
  private hasRoute(routes: readonly BaseSubscription[], type: string, kind: (k: SubscriptionKind) => boolean): boolean {
    for (const r of routes) if (r.active && kind(r.kind) && (this.guards.size === 0 || this.guards.mayReceive(type, r.key))) return true
    return false
  }

  // ---------------------------------------------------------------- registry, handles, guards

  event<K extends keyof M & string>(type: K): TypedEventHandle<M[K], K, M> {
    return createEventHandle(this, type)
  }

  define(type: string, def?: { schema?: StandardSchemaV1; description?: string }): void {
    this.registry.define(type, def)
  }

  undefine(type: string): boolean {
    return this.registry.undefine(type)
  }

  events() {
    return this.registry.list()
  }

  guard(pattern: string, keys: { publishKey?: string; subscribeKey?: string }): void {
    assertPattern(pattern)
    this.guards.add(pattern, keys)
    this.guarded = true
  }

  // ---------------------------------------------------------------- introspection

  subscriptions(): SubscriptionInfo[] {
    return [...this.subs].map((s) => s.info())
  }

  stats(): BusStats {
    return { published: this.seq, ...this.counters, subscriptions: this.subs.size }
  }

  subscriberCount(typeOrPattern: string): number {
    if (!hasWildcard(typeOrPattern)) {
      const routes = this.index.match(typeOrPattern)
      let n = 0
      for (const r of routes) if (r.active) n++
      return n
    }
    assertPattern(typeOrPattern)
    let n = 0
    for (const s of this.subs) if (s.patterns.includes(typeOrPattern)) n++
    return n
  }

  unsubscribePattern(pattern: string): number {
    assertPattern(pattern)
    const victims = [...this.subs].filter((s) => s.patterns.includes(pattern))
    for (const s of victims) s.unsubscribe()
    return victims.length
  }

  /** Cached topics in the route cache (exposed for tests of its bound). */
  get routeCacheSize(): number {
    return this.index.cachedTopics
  }

  // ---------------------------------------------------------------- errors and inspection

  reportFailure(f: HandlerFailure, final: boolean, attempt: number): void {
    if (this.inspecting)
      this.emitInspection({ kind: 'error', at: Date.now(), event: f.event, subscriptionId: f.subscriptionId, error: f.error, attempt, final })
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

  inspect(observer: Inspector | { next: Inspector }): Unsubscribable {
    const fn: Inspector = typeof observer === 'function' ? observer : (e) => observer.next(e)
    this.inspectors = [...this.inspectors, fn]
    this.inspecting = true
    return {
      unsubscribe: () => {
        this.inspectors = this.inspectors.filter((i) => i !== fn)
        this.inspecting = this.inspectors.length > 0
      },
    }
  }

  emitInspection(e: InspectionEvent): void {
    for (const fn of this.inspectors) {
      try {
        fn(e)
      } catch (err) {
        // An inspector (devtools, a logger) must never break publishing.
        console.error('[tidings] inspector threw', err)
      }
    }
  }

  addPublishAck(ack: PublishAck): () => void {
    this.acks = [...this.acks, ack]
    return () => {
      this.acks = this.acks.filter((a) => a !== ack)
    }
  }

  // ---------------------------------------------------------------- shutdown

  async shutdown(opts: { drainTimeoutMs?: number } = {}): Promise<{ drained: number; undelivered: number }> {
    if (this.closed) return { drained: 0, undelivered: 0 }
    this.closed = true
    for (const hook of this.shutdownHooks) hook()
    this.shutdownHooks.clear()
    const deadline = Date.now() + (opts.drainTimeoutMs ?? 5000)
    const results = await Promise.all([...this.subs].map((s) => s.drain(deadline)))
    for (const s of [...this.subs]) s.unsubscribe()
    // Dispatches and requests still waiting now will never be answered.
    for (const t of [...this.trackers.values()]) t.shutdown(this.name)
    this.deadlines.stop()
    this.failures.complete()
    return results.reduce((a, r) => ({ drained: a.drained + r.drained, undelivered: a.undelivered + r.undelivered }), { drained: 0, undelivered: 0 })
  }
}

const isReplyKind = (k: SubscriptionKind) => k === 'reply'

function createEventHandle<M extends EventMapOf<M>, K extends keyof M & string>(bus: Bus<M>, type: K): TypedEventHandle<M[K], K, M> {
  type E = TidingsEvent<M[K], K>
  return {
    type,
    publish: (data, opts) => bus.publish(type, data, opts),
    on: (opts) => bus.on(type, opts as never) as unknown as Observable<E>,
    subscribe: (handler, opts) => bus.subscribe(type, handler as never, opts as never),
    subscriberCount: () => bus.subscriberCount(type),
  }
}
