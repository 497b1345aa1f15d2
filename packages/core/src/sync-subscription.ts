// A subscription whose handler runs synchronously inside publish, with no delivery policy: the
// publish hot path. A throwing handler is reported and never stops the others; a returned promise
// is watched so async failures are reported too. Observables from bus.on() are these as well.
import type { TidingsEvent } from './envelope.js'
import { now } from './clock.js'
import { HandlerCtx, readsCtx } from './handler-context.js'
import { DELIVER_BIT } from './inspect.js'
import * as Outcome from './outcome.js'
import { BaseSubscription, type BaseOptions, type BusInternals, type PatternSet } from './subscription.js'
import type { DeliveryTracker } from './tracker.js'
import type { SubscriptionKind } from './types.js'

export type SyncHandler = (event: TidingsEvent, ctx: HandlerCtx) => unknown

export interface SyncSubscriptionOptions extends BaseOptions {
  /** Called when the subscription ends, e.g. to complete an Observable. */
  onClose?: (() => void) | undefined
}

export class SyncSubscription extends BaseSubscription {
  // `declare`d: set in the constructor (see TidingsBus). TypeScript `private`, not #fields: read
  // on every delivery, where #fields measured slower (docs/size.md).
  declare readonly kind: SubscriptionKind
  /** Whether the handler can read ctx at all (see readsCtx): otherwise no ctx is built.
   *  Undefined until the first delivery: reading a handler's source costs more than the rest of
   *  subscribe() together, and many subscriptions never receive an event. */
  private wantsCtx: boolean | undefined

  private declare readonly handler: SyncHandler
  constructor(bus: BusInternals, patterns: PatternSet, handler: SyncHandler, opts: SyncSubscriptionOptions, kind: SubscriptionKind) {
    super(bus, patterns, opts)
    this.handler = handler
    this.kind = kind
    if (opts.onClose) this.endHook = opts.onClose
  }

  deliver(event: TidingsEvent): Outcome.Code {
    // takes(), written out: this is the publish hot path, kept small enough to be inlined into
    // publish(). Tracking, 'deliver' inspection and the first call (ctx or not) go out of line.
    if (!this.accepting) return Outcome.Skipped
    if (this.filter !== undefined && !this.passes(event)) return Outcome.Skipped
    this.received++
    // Nothing can follow the one run of a `once` handler, so it leaves the bus before that run.
    if (this.once) this.retire()
    const bus = this.bus
    // Whether the handler reads ctx is learnt on the first delivery by a call that is not given
    // the event: every call that is given it stays untaken here (no feedback), so when V8
    // inlines this into publish() and the handler ignores its event, the envelope, its id and
    // the receipt need not be allocated at all.
    const wantsCtx = this.wantsCtx ?? this.learnCtx()
    // One number compare each: a tracker exists only under dispatch()/request(), and handlers
    // are timed only for a 'deliver' inspector (performance.now() costs more than a delivery).
    if (bus.tracking !== 0 || (bus.inspected & DELIVER_BIT) !== 0 || wantsCtx) return this.deliverFully(event)
    try {
      const result = (this.handler as (e: TidingsEvent) => unknown)(event)
      // A returned value is looked at out of line: deliver()'s bytecode size decides whether V8
      // inlines it (and publish() with it) into the caller.
      if (result === undefined) this.handled++
      else this.returned(result, event)
    } catch (err) {
      this.failed(event, err, undefined, 0)
    }
    return Outcome.Delivered
  }

  /** A plain handler returned something: a promise is watched, anything else means handled. */
  private returned(result: unknown, event: TidingsEvent): void {
    if (typeof (result as Promise<unknown>)?.then === 'function') this.watch(result as Promise<unknown>, event, undefined, 0)
    else this.handled++
  }

  /** deliver() with everything: a tracker, timing and the 'deliver' inspection, and a handler
   *  that may read ctx (or whose first delivery finds that out). */
  private deliverFully(event: TidingsEvent): Outcome.Code {
    const bus = this.bus
    let tracker: DeliveryTracker | undefined
    if (bus.tracking !== 0 && this.kind !== 'observable') {
      tracker = bus.trackerFor(event)
      tracker?.expect(this)
    }
    const inspecting = (bus.inspected & DELIVER_BIT) !== 0
    const t0 = inspecting || tracker !== undefined ? performance.now() : 0
    try {
      const result =
        this.wantsCtx === false ? (this.handler as (e: TidingsEvent) => unknown)(event) : this.callWithCtx(event)
      if (result !== undefined && typeof (result as Promise<unknown>)?.then === 'function') {
        this.watch(result as Promise<unknown>, event, tracker, t0)
      } else if (tracker === undefined) {
        this.handled++
      } else {
        this.done(result, tracker, t0)
      }
    } catch (err) {
      this.failed(event, err, tracker, t0)
    }
    if (inspecting)
      bus.emitInspection({ kind: 'deliver', at: now(), event, subscriptionId: this.id, durationMs: performance.now() - t0, attempt: 1 })
    return Outcome.Delivered
  }

  /** Reads the handler's source once (readsCtx). Called through Reflect.apply, which V8 does not
   *  inline: inlined, readsCtx's ~240 bytes of bytecode used up the inlining budget of publish()
   *  and left the handler call out of line, and with it the envelope had to be allocated (1000
   *  names bench: ~40 -> ~32 ns per publish, allocations a third). */
  private learnCtx(): boolean {
    return (this.wantsCtx = Reflect.apply(readsCtx, undefined, [this.handler]))
  }

  /** The handler's call when it may read ctx. */
  private callWithCtx(event: TidingsEvent): unknown {
    if (this.wantsCtx === false) return (this.handler as (e: TidingsEvent) => unknown)(event)
    return this.handler(event, new HandlerCtx(this.bus, this, event, 1))
  }

  /** Settles an async handler's outcome. Its own method, so deliver() creates no closures: a
   *  closure over deliver()'s locals would cost every delivery a context allocation. */
  private watch(result: Promise<unknown>, event: TidingsEvent, tracker: DeliveryTracker | undefined, t0: number): void {
    result.then(
      (value) => this.done(value, tracker, t0),
      (err: unknown) => this.failed(event, err, tracker, t0),
    )
  }

  private done(value: unknown, tracker: DeliveryTracker | undefined, t0: number): void {
    this.handled++
    tracker?.settle(this, { ok: true, value, attempts: 1, durationMs: performance.now() - t0, cause: 'handler' })
  }

  private failed(event: TidingsEvent, err: unknown, tracker: DeliveryTracker | undefined, t0: number): void {
    const error = this.fail(event, err, 1, true)
    tracker?.settle(this, { ok: false, error, attempts: 1, durationMs: performance.now() - t0, cause: 'handler' })
  }

  protected override onClose(): void {
    this.endHook?.()
  }
}
