// What the bus needs from every kind of subscription (sync handler, queued handler, observable,
// inbox, reply), plus the shared bookkeeping: patterns, counters, unsubscribe.
import type { TidingsEvent } from './envelope.js'
import type { RouteEntry } from './route-index.js'
import type {
  HandlerFailure,
  PublishOptions,
  PublishReceipt,
  Subscription,
  SubscriptionInfo,
  SubscriptionKind,
  SubscriptionStats,
} from './types.js'
import type { InspectionEvent } from './inspect.js'
import type { DeliveryTracker } from './tracker.js'

// A constant object plus a union type rather than an enum: enums are not erasable syntax, and the
// package compiles under erasableSyntaxOnly.
/** What deliver() did with one event; the bus folds these into the PublishReceipt. */
export const Outcome = {
  Skipped: 0,
  Delivered: 1,
  Queued: 2,
  /** The new event was discarded (drop-newest). */
  Dropped: 3,
  /** Queued, and the oldest queued event was evicted to make room (drop-oldest). */
  QueuedEvicted: 4,
  Rejected: 5,
  /** Full 'block' queue: publishAsync waits via waitForRoom(), sync publish rejects. */
  Full: 6,
} as const
export type Outcome = (typeof Outcome)[keyof typeof Outcome]

/** The part of the bus a subscription talks back to. */
export interface BusInternals {
  readonly name: string
  readonly closed: boolean
  /** True while someone inspects; build inspection objects only then. */
  inspecting: boolean
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

let nextOrder = 0

export abstract class BaseSubscription implements Subscription, RouteEntry {
  readonly order = nextOrder++
  readonly id: string
  readonly patterns: readonly string[]
  readonly priority: number
  readonly label: string | undefined
  /** Key presented for guarded topics. */
  readonly key: string | undefined
  abstract readonly kind: SubscriptionKind
  active = true
  received = 0
  handled = 0
  dropped = 0
  rejected = 0
  errors = 0
  private controller: AbortController | undefined

  protected readonly bus: BusInternals
  constructor(
    bus: BusInternals,
    patterns: readonly string[],
    opts: { priority?: number | undefined; label?: string | undefined; key?: string | undefined; signal?: AbortSignal | undefined },
  ) {
    this.bus = bus
    this.id = `${bus.name}#${this.order}`
    this.patterns = patterns
    this.priority = opts.priority ?? 0
    this.label = opts.label
    this.key = opts.key
    if (opts.signal) {
      if (opts.signal.aborted) queueMicrotask(() => this.unsubscribe())
      else opts.signal.addEventListener('abort', () => this.unsubscribe(), { once: true })
    }
  }

  get pattern(): string | readonly string[] {
    return this.patterns.length === 1 ? this.patterns[0]! : this.patterns
  }

  /** Aborted when the subscription ends; created on first use so plain handlers pay nothing. */
  get signal(): AbortSignal {
    this.controller ??= new AbortController()
    if (!this.active && !this.retired && !this.controller.signal.aborted) this.controller.abort(new Error('unsubscribed'))
    return this.controller.signal
  }

  /** Set when a `once` subscription took its event: it leaves the bus, but the handler that is
   *  running for that event keeps a live ctx.signal. */
  private retired = false

  /** Ends a `once` subscription without aborting the handler it is about to run. */
  protected retire(): void {
    if (!this.active) return
    this.retired = true
    this.active = false
    this.bus.detach(this)
    this.onClose()
  }

  /** Called synchronously from publish for every matching event. */
  abstract deliver(event: TidingsEvent): Outcome

  /** For 'block' queues: resolves true once the event is queued, false if it timed out. */
  waitForRoom?(event: TidingsEvent): Promise<boolean>

  /** A sync publish refused the event this subscription reported as Full ('block' queue):
   *  count it as rejected. The bus already counted it in its own stats. */
  refused?(event: TidingsEvent): void

  /** The bound of this subscription's queue (0 when it has none); QueueFullError reports it. */
  queueMax(): number {
    return 0
  }

  /** On shutdown: finish what is queued (up to the deadline); resolves with counts. */
  drain(_deadline: number): Promise<{ drained: number; undelivered: number }> {
    return Promise.resolve({ drained: 0, undelivered: 0 })
  }

  /** Called once when the subscription ends (unsubscribe or shutdown). */
  protected onClose(): void {}

  unsubscribe(): void {
    if (!this.active) return
    this.active = false
    this.controller?.abort(new Error('unsubscribed'))
    this.bus.detach(this)
    this.onClose()
  }

  queueDepth(): number {
    return 0
  }

  maxQueued(): number {
    return 0
  }

  stats(): SubscriptionStats {
    return {
      received: this.received,
      handled: this.handled,
      dropped: this.dropped,
      rejected: this.rejected,
      errors: this.errors,
      queued: this.queueDepth(),
      maxQueued: this.maxQueued(),
    }
  }

  info(): SubscriptionInfo {
    const info: SubscriptionInfo = { id: this.id, patterns: this.patterns, kind: this.kind, priority: this.priority, ...this.stats() }
    if (this.label !== undefined) info.label = this.label
    return info
  }
}
