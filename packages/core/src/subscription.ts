// What the bus needs from every kind of subscription, and the bookkeeping they share: patterns,
// counters, the `filter` and `once` options, failure reports, unsubscribe and the shutdown drain.
// The kinds add only how they deliver: SyncSubscription (the handler runs inside publish),
// HandlerSubscription (retry, timeout and/or a queue, through an AttemptRunner and a
// BoundedBuffer) and InboxSubscription (a BoundedBuffer read by the app).
import type { BoundedBuffer } from './bounded-buffer.js'
import type { TidingsEvent } from './envelope.js'
import { toError } from './errors.js'
import type { InspectionEvent } from './inspect.js'
import type * as Outcome from './outcome.js'
import type { RouteEntry } from './route-index.js'
import type { DeliveryTracker } from './tracker.js'
import type {
  HandlerFailure,
  PublishOptions,
  PublishReceipt,
  Subscription,
  SubscriptionInfo,
  SubscriptionKind,
  SubscriptionStats,
} from './types.js'

/** The part of the bus a subscription talks back to. */
export interface BusInternals {
  readonly name: string
  readonly closed: boolean
  /** True while someone inspects (any kind). */
  inspecting: boolean
  /** The KIND_BITS (inspect.ts) some inspector asked for: build a kind's inspection objects,
   *  and time handlers for 'deliver', only when its bit is set. */
  inspected: number
  emitInspection(e: InspectionEvent): void
  reportFailure(f: HandlerFailure, final: boolean, attempt: number): void
  publishFrom(cause: TidingsEvent, type: string, data: unknown, opts?: PublishOptions): PublishReceipt
  detach(sub: BaseSubscription): void
  /** Bus-wide counters the subscriptions add to. */
  counters: { delivered: number; dropped: number; rejected: number; errors: number }
  /** How many dispatch()/request() calls are in flight; trackerFor() is only worth a lookup
   *  when this is not 0. */
  readonly tracking: number
  trackerFor(event: TidingsEvent): DeliveryTracker | undefined
}

/** The options every kind reads (inboxes and observables never get once or filter). */
export interface BaseOptions {
  priority?: number | undefined
  label?: string | undefined
  key?: string | undefined
  signal?: AbortSignal | undefined
  once?: boolean | undefined
  filter?: ((event: TidingsEvent) => boolean) | undefined
}

/** A subscription's patterns as given: the one pattern, or a list without repeats. */
export type PatternSet = string | readonly string[]

type DrainResult = { drained: number; undelivered: number }

let nextOrder = 0

/** What few subscriptions use, kept off the subscription itself (heap per subscription is a
 *  target: docs/benchmarks.md): made on first write; a field never written reads as its default. */
interface Rare {
  id?: string
  priority?: number
  /** What a kind runs when the subscription ends (an Observable's complete()). */
  endHook?: () => void
  label?: string
  key?: string
  controller?: AbortController
  onIdle?: (() => void) | undefined
  retired?: boolean
  dropped?: number
  rejected?: number
  errors?: number
  inflight?: number
}

const NO_RARE: Rare = {}

export abstract class BaseSubscription implements Subscription, RouteEntry {
  readonly order = nextOrder++
  // `declare`d: set in the constructor (see TidingsBus).
  /** The one pattern, or the list when there are several (`patterns` gives a list always). */
  private declare readonly given: string | readonly string[]
  abstract readonly kind: SubscriptionKind
  declare readonly once: boolean
  declare readonly filter: ((event: TidingsEvent) => boolean) | undefined
  active = true
  /** False once a `once` subscription took its event, and after unsubscribe. */
  accepting = true
  received = 0
  handled = 0
  /** The bounded queue of queued handlers and inboxes. Publish offers events to subscriptions
   *  with one before any handler runs (RouteEntry.queue), which keeps each origin's events in seq
   *  order in their queues. */
  queue: BoundedBuffer | undefined
  /** The rare fields (see Rare); a shared empty object until one is written. */
  private rare = NO_RARE

  // Accessors over `rare` (defined below): read and written like fields.
  /** Higher runs first among an event's handlers. */
  declare readonly priority: number
  declare readonly label: string | undefined
  /** Key presented for guarded topics. */
  declare readonly key: string | undefined
  declare dropped: number
  declare rejected: number
  declare errors: number
  /** Events taken but not finished yet (running, awaited or waiting to retry); shutdown waits
   *  for them. */
  declare inflight: number
  /** What this subscription's kind runs when it ends (see SyncSubscription's onClose option). */
  protected declare endHook: (() => void) | undefined

  static {
    // The counters (the first five) read 0 until written, the others undefined.
    ;(['priority', 'dropped', 'rejected', 'errors', 'inflight', 'label', 'key', 'endHook'] as const).forEach((k, i) =>
      Object.defineProperty(this.prototype, k, {
        get(this: BaseSubscription) {
          return this.rare[k] ?? (i < 5 ? 0 : undefined)
        },
        set(this: BaseSubscription, v: never) {
          this.own()[k] = v
        },
      }),
    )
  }

  declare readonly bus: BusInternals
  constructor(bus: BusInternals, patterns: PatternSet, opts: BaseOptions) {
    this.bus = bus
    this.given = typeof patterns === 'string' || patterns.length !== 1 ? patterns : patterns[0]!
    this.once = opts.once ?? false
    this.filter = opts.filter
    if (opts.priority || opts.label !== undefined || opts.key !== undefined)
      this.rare = { priority: opts.priority ?? 0, label: opts.label, key: opts.key } as Rare
  }

  /** Ends this subscription when `signal` aborts (at once, in a microtask, if it already has).
   *  The bus calls it once the subscription is registered, not the constructor: a subscription
   *  whose construction threw (a bad queue option) never joined the bus, and must not leave it. */
  endOn(signal: AbortSignal): void {
    if (signal.aborted) queueMicrotask(() => this.unsubscribe())
    else signal.addEventListener('abort', () => this.unsubscribe(), { once: true })
  }

  /** The rare fields, this subscription's own from now on. */
  private own(): Rare {
    if (this.rare === NO_RARE) this.rare = {}
    return this.rare
  }

  /** `${bus name}#${creation order}`: derived when first read. */
  get id(): string {
    // Cached once read by a tracker, an inspector or stats (they compare ids).
    return this.rare.id ?? (this.own().id = `${this.bus.name}#${this.order}`)
  }

  get patterns(): readonly string[] {
    const g = this.given
    return typeof g === 'string' ? [g] : g
  }

  get pattern(): string | readonly string[] {
    return this.given
  }

  /** Aborted when the subscription ends; created on first use so plain handlers pay nothing. */
  get signal(): AbortSignal {
    const rare = this.own()
    rare.controller ??= new AbortController()
    // (Aborting an aborted controller changes nothing.)
    if (!this.active && !rare.retired) rare.controller.abort(new Error('unsubscribed'))
    return rare.controller.signal
  }

  /** Called synchronously from publish for every matching event. */
  abstract deliver(event: TidingsEvent): Outcome.Code

  /** The start of every handler's deliver(): false when the event is not for this subscription
   *  (ended, or a `once` that took its event, or the filter says no); otherwise counts it. A
   *  `once` subscription refuses every later event from here on. */
  protected takes(event: TidingsEvent): boolean {
    if (!this.accepting || (this.filter !== undefined && !this.passes(event))) return false
    this.received++
    if (this.once) this.accepting = false
    return true
  }

  /** Runs the filter; one that throws is reported like a failed handler and skips the event. */
  protected passes(event: TidingsEvent): boolean {
    try {
      return this.filter!(event)
    } catch (err) {
      this.fail(event, err, 1, true)
      return false
    }
  }

  /** Reports a failed attempt to inspectors and, when final, to errors$ and '$tidings.error'
   *  (which can throw: a full 'reject' queue there). Returns the error as an Error. */
  fail(event: TidingsEvent, err: unknown, attempts: number, final: boolean): Error {
    const error = toError(err)
    if (final) this.errors++
    const f: HandlerFailure = { error, event, subscriptionId: this.id, attempts }
    if (this.label !== undefined) f.label = this.label
    this.bus.reportFailure(f, final, attempts)
    return error
  }

  /** The tracker of a dispatch()/request() waiting for this event, if any. */
  protected trackerOf(event: TidingsEvent): DeliveryTracker | undefined {
    return this.bus.tracking !== 0 ? this.bus.trackerFor(event) : undefined
  }

  /** Ends a `once` subscription whose handler runs inside publish, before that run: it leaves
   *  the bus (a re-publish from the handler does not reach it) without aborting ctx.signal. */
  protected retire(): void {
    this.own().retired = true
    this.unsubscribe()
  }

  unsubscribe(): void {
    if (!this.active) return
    this.active = false
    this.accepting = false
    if (!this.rare.retired) this.rare.controller?.abort(new Error('unsubscribed'))
    this.bus.detach(this)
    this.onClose()
  }

  /** `using sub = bus.subscribe(...)` unsubscribes at the end of the block. */
  [Symbol.dispose](): void {
    this.unsubscribe()
  }

  /** What this kind lets go of when it ends (timers, waiting readers, queued events). */
  protected onClose(): void {}

  /** Something finished: a pending drain() resolves when that was the last. */
  settled(): void {
    const onIdle = this.rare.onIdle
    if (onIdle !== undefined && this.idle()) onIdle()
  }

  private idle(): boolean {
    return this.inflight === 0 && (this.queue === undefined || this.queue.empty)
  }

  /** On shutdown: lets what is queued or running finish, up to the deadline; what is left then
   *  is undelivered (queued events are counted as dropped, reason 'shutdown'). */
  drain(deadline: number): Promise<DrainResult> {
    if (this.idle()) return Promise.resolve({ drained: 0, undelivered: 0 })
    // Nothing new is delivered during shutdown, so every handled or failed event is a drained one.
    const start = this.handled + this.errors
    return new Promise((resolve) => {
      const done = (undelivered: number) => {
        clearTimeout(timer)
        this.own().onIdle = undefined
        resolve({ drained: this.handled + this.errors - start, undelivered })
      }
      const timer = setTimeout(() => done((this.queue?.discard() ?? 0) + this.inflight), Math.max(0, deadline - Date.now()))
      this.own().onIdle = () => done(0)
    })
  }

  stats(): SubscriptionStats {
    return {
      received: this.received,
      handled: this.handled,
      dropped: this.dropped,
      rejected: this.rejected,
      errors: this.errors,
      queued: this.queue?.depth ?? 0,
      maxQueued: this.queue?.highWater ?? 0,
    }
  }

  info(): SubscriptionInfo {
    const info: SubscriptionInfo = { id: this.id, patterns: this.patterns, kind: this.kind, priority: this.priority, ...this.stats() }
    if (this.label !== undefined) info.label = this.label
    if (this.queue !== undefined) {
      info.queueMax = this.queue.capacity
      info.strategy = this.queue.strategy
    }
    return info
  }
}
