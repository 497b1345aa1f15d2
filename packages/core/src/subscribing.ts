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
import type { BaseSubscription, PatternSet } from './subscription.js'
import { SubscriptionList } from './subscription-list.js'
import { SyncSubscription, type SyncHandler, type SyncSubscriptionOptions } from './sync-subscription.js'
import { assertPattern, hasWildcard } from './topic.js'
import type { SystemHost } from './system-events.js'
import type { EventFor, EventMapOf, Handler, Inbox, InboxOptions, Patterns, SubscribeOptions, Subscription, SubscriptionInfo } from './types.js'

const NO_OPTIONS: SubscribeOptions = Object.freeze({})

export abstract class SubscribingBus<M extends EventMapOf<M>> extends PublishingBus implements SystemHost {
  protected readonly subs = new SubscriptionList<BaseSubscription>()
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

  // Options default to one shared empty object, not `= {}`: registering 10,000 handlers is
  // bound by garbage collection, and every temporary per subscribe() counts (as do the closure
  // and the one-pattern arrays the code below avoids).
  subscribe<P extends string>(pattern: Patterns<P>, handler: Handler<EventFor<M, P>, M>, opts?: SubscribeOptions<EventFor<M, P>>): Subscription {
    return this.addHandler('subscribe', pattern, handler as Handler<TidingsEvent>, (opts ?? NO_OPTIONS) as SubscribeOptions)
  }

  reply<P extends string>(pattern: Patterns<P>, handler: Handler<EventFor<M, P>, M>, opts?: SubscribeOptions<EventFor<M, P>>): Subscription {
    return this.addHandler('reply', pattern, handler as Handler<TidingsEvent>, (opts ?? NO_OPTIONS) as SubscribeOptions)
  }

  inbox<P extends string>(pattern: Patterns<P>, opts: InboxOptions & { key?: string; label?: string } = {}): Inbox<EventFor<M, P>> {
    const patterns = this.checkPatterns(pattern, opts.key)
    if (this.closed) throw new BusClosedError(this.name, 'open an inbox')
    const inbox = new InboxSubscription(this, patterns, opts)
    this.attach(inbox, (opts as { signal?: AbortSignal }).signal)
    return inbox as Inbox<TidingsEvent> as Inbox<EventFor<M, P>> // typed by the event map at compile time only
  }

  /** subscribe() and reply(). Delivery policies (queue, concurrency, retry, timeoutMs) need a
   *  HandlerSubscription; without any the handler runs in publish, on the SyncSubscription hot
   *  path. */
  private addHandler(method: 'subscribe' | 'reply', pattern: Patterns, handler: Handler<TidingsEvent>, opts: SubscribeOptions): Subscription {
    if (typeof handler !== 'function') throw new TypeError(`${method}(${JSON.stringify(pattern)}): handler must be a function`)
    const patterns = this.checkPatterns(pattern, opts.key)
    if (this.closed) throw new BusClosedError(this.name, method)
    const queued = opts.queue !== undefined || opts.concurrency !== undefined
    const kind = method === 'reply' ? 'reply' : queued ? 'queued' : 'handler'
    const sub =
      queued || opts.retry !== undefined || opts.timeoutMs !== undefined
        ? new HandlerSubscription(this, patterns, handler as SyncHandler, opts as PolicyOptions, kind)
        : new SyncSubscription(this, patterns, handler as SyncHandler, opts as SyncSubscriptionOptions, kind)
    this.attach(sub, opts.signal)
    return sub
  }

  /** Validates patterns (and guard keys) before anything is registered: the one pattern, or the
   *  list without repeats (one pattern given as a list comes back as the pattern). */
  private checkPatterns(pattern: Patterns, key: string | undefined): PatternSet {
    if (typeof pattern === 'string') {
      this.checkPattern(pattern, key)
      return pattern
    }
    const list = [...new Set(pattern)]
    if (list.length === 0) throw new TypeError('Give at least one pattern')
    for (const p of list) this.checkPattern(p, key)
    return list.length === 1 ? list[0]! : list
  }

  private checkPattern(p: string, key: string | undefined): void {
    // Whether a pattern is valid (and its globs supported) depends on the pattern alone, so the
    // last one that passed is not checked again: subscribing 10,000 handlers to one topic
    // validated it 10,000 times (~14% of the time). Guards depend on the key: always checked.
    if (p !== this.valid) {
      assertPattern(p)
      checkGlobSupport(p)
      this.valid = p
    }
    if (this.guarded) this.guards.checkSubscribe(p, !hasWildcard(p), key)
  }

  /** The last pattern checkPattern() found valid. */
  private valid: string | undefined

  // A subscription's own added/removed event does not reach it: it is announced before it joins
  // the index and after it left.
  private attach(sub: BaseSubscription, signal?: AbortSignal): void {
    if (this.sys) this.announce('added', sub)
    this.subs.add(sub)
    const given = sub.pattern
    if (typeof given === 'string') this.file(given, sub, true)
    else for (const p of given) this.file(p, sub, true)
    if (this.inspected & KIND_BITS.subscribe) this.emitInspection({ kind: 'subscribe', at: now(), subscription: sub.info() })
    if (signal) sub.endOn(signal)
  }

  /** Takes out a subscription that just ended (its unsubscribe() calls this once). */
  detach(sub: BaseSubscription): void {
    this.subs.removed()
    const given = sub.pattern
    if (typeof given === 'string') this.file(given, sub, false)
    else for (const p of given) this.file(p, sub, false)
    if (this.inspected & KIND_BITS.unsubscribe) this.emitInspection({ kind: 'unsubscribe', at: now(), subscriptionId: sub.id })
    if (this.sys) this.announce('removed', sub)
  }

  /** Files one of a subscription's patterns in the index, or takes it out (and counts `$`
   *  patterns). */
  private file(p: string, sub: BaseSubscription, add: boolean): void {
    if (add) this.index.add(p, sub)
    else this.index.remove(p, sub)
    if (p.charCodeAt(0) === 36) this.sys += add ? 1 : -1
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
    return this.subs.list().map((s) => s.info())
  }

  subscriberCount(typeOrPattern: string): number {
    let n = 0
    if (!hasWildcard(typeOrPattern)) {
      for (const r of this.index.match(typeOrPattern)) if (r.active) n++
      return n
    }
    assertPattern(typeOrPattern)
    for (const s of this.subs.list()) if (s.patterns.includes(typeOrPattern)) n++
    return n
  }

  unsubscribePattern(pattern: string): number {
    assertPattern(pattern)
    const victims = this.subs.list().filter((s) => s.patterns.includes(pattern))
    for (const s of victims) s.unsubscribe()
    return victims.length
  }

  /** Cached topics in the route cache (exposed for tests of its bound). */
  get routeCacheSize(): number {
    return this.index.cachedTopics
  }
}
