// The third layer of the bus (see bus.ts): calls that wait for what handlers did with their event.
// dispatch() and request() publish once and keep a tracker for the event while the call is open
// (DispatchTracker, PendingRequest); subscriptions find it through trackerFor() and report each
// handler's final outcome to it. While nothing can look a tracker up `tracking` is 0, so a
// publish then costs subscriptions one compare.
//
// No Map entry per call: while its event is delivered the tracker is simply the current one, and
// handlers that run inside publish (or retry later) keep it from there. Only a tracker a queued
// handler expects is filed by its event, since the queue's worker looks it up later. A Map keyed
// by every request's event cost request/reply a third of its speed after any full GC: once the
// Map lives in old space, V8 allocates each of its rehashed tables (every few set/delete pairs)
// in old space too, which filled it with garbage that only mark-compacts free.
import { checkTimeout } from './delivery-options.js'
import { DispatchTracker, type OpenTracker, type TrackerHost } from './dispatch.js'
import type { TidingsEvent } from './envelope.js'
import { AbortedError, BusClosedError, NoHandlerError, NoResponderError, QueueFullError } from './errors.js'
import { Deadlines, DEFAULT_REQUEST_TIMEOUT_MS, PendingRequest } from './request-reply.js'
import { SubscribingBus } from './subscribing.js'
import type { BaseSubscription } from './subscription.js'
import { isHandlerKind } from './tracker.js'
import type { DispatchResult, EventMapOf, PublishOptions, SubscriptionKind } from './types.js'

export abstract class TrackingBus<M extends EventMapOf<M>> extends SubscribingBus<M> implements TrackerHost {
  /** dispatch()/request() calls still open after their event was delivered, in any order: each
   *  tracker knows its slot, so one leaves in O(1) (the last one takes its slot). */
  protected readonly trackers: OpenTracker[] = []
  /** Those of them that a queued handler expects, by their event. */
  readonly #late = new Map<TidingsEvent, OpenTracker>()
  /** The call whose event is being delivered right now (undefined outside of that). */
  #current: OpenTracker | undefined
  /** trackers.length plus the calls whose event is being delivered (nested when a handler calls
   *  dispatch() or request()): subscriptions look a tracker up only when it is not 0. */
  tracking = 0
  /** The last request and dispatch made, kept: with none alive at a full GC, V8 frees their
   *  classes' hidden classes and deoptimizes every function that handled one (request/reply ran
   *  3x slower for a while after each full GC). */
  protected lastRequest: OpenTracker | undefined
  protected lastDispatch: OpenTracker | undefined
  /** Timeouts of pending requests (one shared timer). */
  readonly deadlines = new Deadlines(() => this.trackers.slice())

  async dispatch(type: string, data?: unknown, opts: PublishOptions & { timeoutMs?: number; requireHandler?: boolean } = {}): Promise<DispatchResult> {
    if (this.closed) throw new BusClosedError(this.name, 'dispatch')
    const schema = this.registry.schemas.has(type)
    // Held across the schema's await: a copy, since route lists change in place (route-index.ts).
    const routes = schema ? this.index.match(type).slice() : this.index.match(type)
    const timeoutMs = opts.timeoutMs === undefined ? undefined : checkTimeout(opts.timeoutMs, 'dispatch timeoutMs')
    // Without a schema the handlers run right inside this call, like publish.
    const value = schema ? await this.validate(type, data) : data
    if (this.closed) throw new BusClosedError(this.name, 'dispatch')
    if (this.guarded) this.guards.checkPublish(type, opts.key)
    if (opts.requireHandler === true && !this.#hasRoute(routes, type, isHandlerKind)) throw new NoHandlerError(type)
    const event = this.envelope(type, value, opts, undefined)
    return this.#sendTracked(event, routes, (this.lastDispatch = new DispatchTracker(event, timeoutMs, this)), [])
  }

  request<R>(type: string, data?: unknown, opts?: PublishOptions & { timeoutMs?: number; signal?: AbortSignal }): Promise<R> {
    // Not an async function: on the common path (no schema) the caller gets the pending
    // request's own promise, one promise and no extra ticks per round trip.
    try {
      if (this.closed) throw new BusClosedError(this.name, 'request')
      const schema = this.registry.schemas.has(type)
      // Held across an async schema's await: a copy, since route lists change in place (route-index.ts).
      const routes = schema ? this.index.match(type).slice() : this.index.match(type)
      if (!this.#hasRoute(routes, type, isReplyKind)) throw new NoResponderError(type)
      const timeoutMs = opts?.timeoutMs === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : checkTimeout(opts.timeoutMs, 'request timeoutMs')
      if (opts?.signal?.aborted) throw new AbortedError(`request "${type}" was aborted by its signal`)
      // A synchronous schema gives the value (or throws), an asynchronous one a promise of it.
      const value = schema ? this.validate(type, data) : data
      if (schema && value instanceof Promise) return value.then((v) => this.#sendRequest<R>(type, v, opts, routes, timeoutMs))
      return this.#sendRequest<R>(type, value, opts, routes, timeoutMs)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  #sendRequest<R>(type: string, value: unknown, opts: (PublishOptions & { signal?: AbortSignal }) | undefined, routes: readonly BaseSubscription[], timeoutMs: number): Promise<R> {
    if (this.closed) throw new BusClosedError(this.name, 'request')
    if (this.guarded) this.guards.checkPublish(type, opts?.key)
    const event = this.envelope(type, value, opts, undefined)
    const request = new PendingRequest<R>(event, timeoutMs, opts?.signal, this)
    this.lastRequest = request
    return this.#sendTracked(event, routes, request)
  }

  /** Delivers the event of a dispatch() or request() and returns what the call resolves with.
   *  A full 'reject' queue is that handler's result (its tracker settles it); anything else that
   *  throws ends the call. Only dispatch() passes `blocked`: it waits for room in 'block' queues. */
  #sendTracked<T>(event: TidingsEvent, routes: readonly BaseSubscription[], tracker: OpenTracker<T>, blocked?: BaseSubscription[]): Promise<T> {
    // A handler may itself dispatch or request: the outer call is current again afterwards.
    const outer = this.#current
    this.#current = tracker
    this.tracking++
    try {
      this.deliver(event, routes, blocked)
    } catch (err) {
      if (!(err instanceof QueueFullError)) {
        tracker.promise.catch(() => {})
        tracker.shutdown(this.name)
        throw err
      }
    } finally {
      this.#current = outer
      this.tracking--
    }
    for (const sub of blocked ?? []) {
      tracker.expect(sub)
      void sub.queue!.waitForRoom(event).then((ok) => {
        if (!ok) this.counters.rejected++
      })
    }
    // Still open (slot -1): listed, and when a queue holds it, filed for its worker to find.
    if (tracker.slot === -1) {
      tracker.slot = this.trackers.push(tracker) - 1
      this.tracking++
      if (tracker.late) this.#late.set(event, tracker)
    }
    tracker.seal()
    return tracker.promise
  }

  trackerFor(event: TidingsEvent): OpenTracker | undefined {
    return this.#current?.event === event ? this.#current : this.#late.get(event)
  }

  /** dispatch()/request() calls still waiting (tests check that none leak). */
  get pendingTracked(): number {
    return this.trackers.length
  }

  /** The call ended (each tracker calls this once). */
  untrack(tracker: OpenTracker): void {
    if (tracker.slot >= 0) {
      const last = this.trackers.pop()!
      if (last !== tracker) this.trackers[(last.slot = tracker.slot)] = last
      this.tracking--
      if (tracker.late) this.#late.delete(tracker.event)
    }
    tracker.slot = -2
  }

  /** Some active route of the given kinds may receive this topic (guards included). */
  #hasRoute(routes: readonly BaseSubscription[], type: string, kind: (k: SubscriptionKind) => boolean): boolean {
    for (const r of routes) if (r.active && kind(r.kind) && (!this.guarded || this.guards.mayReceive(type, r.key))) return true
    return false
  }
}

const isReplyKind = (k: SubscriptionKind) => k === 'reply'

