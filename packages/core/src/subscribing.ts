// The second layer of the bus (see bus.ts): registering subscriptions. on(), subscribe(), reply()
// and inbox() check their patterns (and guard keys) before anything is registered, build the kind
// of subscription the options call for, and file it in the RouteIndex; the subscription leaves
// through detach(). Listing and counting subscriptions live here too.
import type { Observable, Subscriber } from 'rxjs'
import { BusObservable, deliverTo } from './bus-observable.js'
import type { TidingsEvent } from './envelope.js'
import { BusClosedError } from './errors.js'
import { checkGlobSupport } from './glob-support.js'
import { HandlerSubscription, type PolicyOptions } from './handler-subscription.js'
import { InboxSubscription } from './inbox.js'
import { KIND_BITS } from './inspect.js'
import { now } from './clock.js'
import { PublishingBus } from './publishing.js'
import type { BaseSubscription } from './subscription.js'
import { SyncSubscription, type SyncHandler, type SyncSubscriptionOptions } from './sync-subscription.js'
import { assertPattern, hasWildcard } from './topic.js'
import type { SystemHost } from './system-events.js'
import type { EventFor, EventMapOf, Handler, Inbox, InboxOptions, Patterns, SubscribeOptions, Subscription, SubscriptionInfo } from './types.js'

export abstract class SubscribingBus<M extends EventMapOf<M>> extends PublishingBus implements SystemHost {
  protected readonly subs = new Set<BaseSubscription>()
  /** Patterns starting with `$` among the subscriptions: while 0, no system event is built. */
  sys = 0

  on<P extends string>(pattern: Patterns<P>, opts?: { filter?: (e: EventFor<M, P>) => boolean; key?: string; priority?: number }): Observable<EventFor<M, P>> {
    const patterns = this.checkPatterns(pattern, opts?.key)
    // The events are typed by the event map at compile time only: at run time they are envelopes.
    return new BusObservable<EventFor<M, P>>((subscriber) => {
      if (this.closed) return subscriber.complete()
      // An observer that throws is reported as this subscription's failure (bus-observable.ts).
      const sub: SyncSubscription = new SyncSubscription(this, patterns, (e) => deliverTo(subscriber as Subscriber<TidingsEvent>, sub, e), {
        ...(opts as SyncSubscriptionOptions),
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

  inbox<P extends string>(pattern: Patterns<P>, opts: InboxOptions & { key?: string; label?: string } = {}): Inbox<EventFor<M, P>> {
    const inbox: Inbox<TidingsEvent> = this.add(pattern, opts.key, 'open an inbox', (patterns) => new InboxSubscription(this, patterns, opts))
    return inbox as Inbox<EventFor<M, P>> // typed by the event map at compile time only
  }

  /** subscribe() and reply(). Delivery policies (queue, concurrency, retry, timeoutMs) need a
   *  HandlerSubscription; without any the handler runs in publish, on the SyncSubscription hot
   *  path. */
  private addHandler(method: 'subscribe' | 'reply', pattern: Patterns, handler: Handler<TidingsEvent>, opts: SubscribeOptions): Subscription {
    if (typeof handler !== 'function') throw new TypeError(`${method}(${JSON.stringify(pattern)}): handler must be a function`)
    return this.add(pattern, opts.key, method, (patterns) => {
      const queued = opts.queue !== undefined || opts.concurrency !== undefined
      const kind = method === 'reply' ? 'reply' : queued ? 'queued' : 'handler'
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
  private checkPatterns(pattern: Patterns, key: string | undefined): readonly string[] {
    const list = typeof pattern === 'string' ? [pattern] : [...new Set(pattern)]
    if (list.length === 0) throw new TypeError('Give at least one pattern')
    for (const p of list) {
      assertPattern(p)
      checkGlobSupport(p)
      if (this.guarded) this.guards.checkSubscribe(p, !hasWildcard(p), key)
    }
    return list
  }

  // A subscription's own added/removed event does not reach it: it is announced before it joins
  // the index and after it left.
  private attach(sub: BaseSubscription): void {
    if (this.sys) this.announce('added', sub)
    this.subs.add(sub)
    for (const p of sub.patterns) {
      this.index.add(p, sub)
      if (p.charCodeAt(0) === 36) this.sys++
    }
    if (this.inspected & KIND_BITS.subscribe) this.emitInspection({ kind: 'subscribe', at: now(), subscription: sub.info() })
  }

  detach(sub: BaseSubscription): void {
    if (!this.subs.delete(sub)) return
    for (const p of sub.patterns) {
      this.index.remove(p, sub)
      if (p.charCodeAt(0) === 36) this.sys--
    }
    if (this.inspected & KIND_BITS.unsubscribe) this.emitInspection({ kind: 'unsubscribe', at: now(), subscriptionId: sub.id })
    if (this.sys) this.announce('removed', sub)
  }

  private announce(what: 'added' | 'removed', sub: BaseSubscription): void {
    const { id, patterns, kind, label } = sub
    this.systemEvent(`$tidings.subscription.${what}`, () => ({ id, pattern: patterns.length > 1 ? [...patterns] : patterns[0], kind, ...(label !== undefined && { label }) }))
  }

  /** Publishes a system event (system-events.ts) if anyone listens to `type`: `data` (or what
   *  it returns) and the envelope are built only then. Local, and it never throws into the
   *  caller (a full 'reject' queue is counted as usual); delivered even while shutdown drains. */
  systemEvent(type: string, data: object | (() => object)): void {
    const routes = this.sys ? this.index.match(type) : []
    if (routes.length === 0) return
    try {
      this.deliver(this.envelope(type, typeof data === 'function' ? data() : data, { local: true }, undefined), routes, undefined)
    } catch {
      // Only a full 'reject' queue throws here, and deliver() counted and inspected it.
    }
  }

  subscriptions(): SubscriptionInfo[] {
    return [...this.subs].map((s) => s.info())
  }

  subscriberCount(typeOrPattern: string): number {
    let n = 0
    if (!hasWildcard(typeOrPattern)) {
      for (const r of this.index.match(typeOrPattern)) if (r.active) n++
      return n
    }
    assertPattern(typeOrPattern)
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
}
