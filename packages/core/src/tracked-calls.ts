// The third layer of the bus (see bus.ts): calls that wait for what handlers did with their event.
// dispatch() and request() publish once and keep a tracker for the event while the call is open
// (DispatchTracker, PendingRequest); subscriptions find it through trackerFor() and report each
// handler's final outcome to it. `tracking` mirrors the number of open calls, so a publish with
// none open costs subscriptions one compare.
import { checkTimeout } from './delivery-options.js'
import { DispatchTracker, type OpenTracker } from './dispatch.js'
import type { TidingsEvent } from './envelope.js'
import { AbortedError, BusClosedError, NoHandlerError, NoResponderError, QueueFullError } from './errors.js'
import { Deadlines, DEFAULT_REQUEST_TIMEOUT_MS, PendingRequest } from './request-reply.js'
import { SubscribingBus } from './subscribing.js'
import type { BaseSubscription } from './subscription.js'
import { isHandlerKind } from './tracker.js'
import type { DispatchResult, EventMapOf, PublishOptions, SubscriptionKind } from './types.js'

export abstract class TrackingBus<M extends EventMapOf<M>> extends SubscribingBus<M> {
  /** dispatch()/request() calls in flight, by their event. */
  protected readonly trackers = new Map<TidingsEvent, OpenTracker>()
  tracking = 0
  /** Timeouts of pending requests (one shared timer). */
  readonly deadlines = new Deadlines(() => this.trackers.values())

  async dispatch(type: string, data?: unknown, opts: PublishOptions & { timeoutMs?: number; requireHandler?: boolean } = {}): Promise<DispatchResult> {
    if (this.closed) throw new BusClosedError(this.name, 'dispatch')
    // Held across the schema's await: a copy, since route lists change in place (route-index.ts).
    const routes = this.registry.schemas.has(type) ? this.index.match(type).slice() : this.index.match(type)
    const timeoutMs = opts.timeoutMs === undefined ? undefined : checkTimeout(opts.timeoutMs, 'dispatch timeoutMs')
    // Without a schema the handlers run right inside this call, like publish.
    const value = this.registry.schemas.has(type) ? await this.validate(type, data) : data
    if (this.closed) throw new BusClosedError(this.name, 'dispatch')
    if (this.guarded) this.guards.checkPublish(type, opts.key)
    if (opts.requireHandler === true && !this.hasRoute(routes, type, isHandlerKind)) throw new NoHandlerError(type)
    const event = this.envelope(type, value, opts, undefined)
    return this.sendTracked(event, routes, new DispatchTracker(event, timeoutMs, () => this.untrack(event)), [])
  }

  request<R>(type: string, data?: unknown, opts?: PublishOptions & { timeoutMs?: number; signal?: AbortSignal }): Promise<R> {
    // Not an async function: on the common path (no schema) the caller gets the pending
    // request's own promise, one promise and no extra ticks per round trip.
    try {
      if (this.closed) throw new BusClosedError(this.name, 'request')
      // Held across the schema's await: a copy, since route lists change in place (route-index.ts).
      const routes = this.registry.schemas.has(type) ? this.index.match(type).slice() : this.index.match(type)
      if (!this.hasRoute(routes, type, isReplyKind)) throw new NoResponderError(type)
      const timeoutMs = opts?.timeoutMs === undefined ? DEFAULT_REQUEST_TIMEOUT_MS : checkTimeout(opts.timeoutMs, 'request timeoutMs')
      if (opts?.signal?.aborted) throw new AbortedError(`request "${type}" was aborted by its signal`)
      if (this.registry.schemas.has(type))
        return (this.validate(type, data) as Promise<unknown>).then((value) => this.sendRequest<R>(type, value, opts, routes, timeoutMs))
      return this.sendRequest<R>(type, data, opts, routes, timeoutMs)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private sendRequest<R>(type: string, value: unknown, opts: (PublishOptions & { signal?: AbortSignal }) | undefined, routes: readonly BaseSubscription[], timeoutMs: number): Promise<R> {
    if (this.closed) throw new BusClosedError(this.name, 'request')
    if (this.guarded) this.guards.checkPublish(type, opts?.key)
    const event = this.envelope(type, value, opts, undefined)
    return this.sendTracked(event, routes, new PendingRequest<R>(event, timeoutMs, opts?.signal, this))
  }

  /** Delivers the event of a dispatch() or request() and returns what the call resolves with.
   *  A full 'reject' queue is that handler's result (its tracker settles it); anything else that
   *  throws ends the call. Only dispatch() passes `blocked`: it waits for room in 'block' queues. */
  private sendTracked<T>(event: TidingsEvent, routes: readonly BaseSubscription[], tracker: OpenTracker<T>, blocked?: BaseSubscription[]): Promise<T> {
    this.trackers.set(event, tracker)
    this.tracking = this.trackers.size
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

  trackerFor(event: TidingsEvent): OpenTracker | undefined {
    return this.trackers.get(event)
  }

  /** dispatch()/request() calls still waiting (tests check that none leak). */
  get pendingTracked(): number {
    return this.trackers.size
  }

  untrack(event: TidingsEvent): void {
    this.trackers.delete(event)
    this.tracking = this.trackers.size
  }

  /** Some active route of the given kinds may receive this topic (guards included). */
  private hasRoute(routes: readonly BaseSubscription[], type: string, kind: (k: SubscriptionKind) => boolean): boolean {
    for (const r of routes) if (r.active && kind(r.kind) && (!this.guarded || this.guards.mayReceive(type, r.key))) return true
    return false
  }
}

const isReplyKind = (k: SubscriptionKind) => k === 'reply'
