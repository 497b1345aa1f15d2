// A subscription whose handler runs synchronously inside publish (no queue). A throwing handler
// is reported and never stops the others; a returned promise is watched so async failures are
// reported too.
import type { TidingsEvent } from './envelope.js'
import { toError } from './errors.js'
import { HandlerCtx, readsCtx } from './handler-context.js'
import { BaseSubscription, Outcome, type BusInternals } from './subscription.js'
import type { DeliveryTracker } from './tracker.js'
import type { SubscriptionKind } from './types.js'

export type SyncHandler = (event: TidingsEvent, ctx: HandlerCtx) => unknown

export interface SyncSubscriptionOptions {
  priority?: number | undefined
  label?: string | undefined
  key?: string | undefined
  signal?: AbortSignal | undefined
  once?: boolean | undefined
  filter?: ((event: TidingsEvent) => boolean) | undefined
  /** Called when the subscription ends, e.g. to complete an Observable. */
  onClose?: (() => void) | undefined
}

export class SyncSubscription extends BaseSubscription {
  readonly kind: SubscriptionKind
  private readonly once: boolean
  private readonly filter: ((event: TidingsEvent) => boolean) | undefined
  private readonly closeHook: (() => void) | undefined
  /** Whether the handler can read ctx at all (see readsCtx): otherwise no ctx is built. */
  private readonly wantsCtx: boolean

  private readonly handler: SyncHandler
  constructor(
    bus: BusInternals,
    patterns: readonly string[],
    handler: SyncHandler,
    opts: SyncSubscriptionOptions,
    kind: SubscriptionKind = 'handler',
  ) {
    super(bus, patterns, opts)
    this.handler = handler
    this.kind = kind
    this.once = opts.once ?? false
    this.filter = opts.filter
    this.closeHook = opts.onClose
    this.wantsCtx = readsCtx(handler)
  }

  deliver(event: TidingsEvent): Outcome {
    if (!this.active) return Outcome.Skipped
    if (this.filter !== undefined && !this.runFilter(event)) return Outcome.Skipped
    this.received++
    if (this.once) this.retire()
    const bus = this.bus
    // One number compare on the hot path; the tracked path runs only under dispatch()/request().
    if (bus.tracking !== 0 && this.kind !== 'observable') {
      const tracker = bus.trackerFor(event)
      if (tracker !== undefined) return this.deliverTracked(event, tracker)
    }
    const inspecting = bus.inspecting
    const t0 = inspecting ? performance.now() : 0
    try {
      const result = this.invoke(event)
      if (result !== undefined && typeof (result as Promise<unknown>)?.then === 'function') {
        ;(result as Promise<unknown>).then(
          () => this.handled++,
          (err: unknown) => this.fail(event, err),
        )
      } else {
        this.handled++
      }
    } catch (err) {
      this.fail(event, err)
    }
    if (inspecting)
      bus.emitInspection({ kind: 'deliver', at: Date.now(), event, subscriptionId: this.id, durationMs: performance.now() - t0, attempt: 1 })
    return Outcome.Delivered
  }

  /** Calls the handler, building ctx only for handlers that can read it. */
  private invoke(event: TidingsEvent): unknown {
    return this.wantsCtx ? this.handler(event, new HandlerCtx(this.bus, this, event, 1)) : (this.handler as (e: TidingsEvent) => unknown)(event)
  }

  /** deliver() for an event whose outcome dispatch()/request() waits for. */
  private deliverTracked(event: TidingsEvent, tracker: DeliveryTracker): Outcome {
    const bus = this.bus
    tracker.expect(this)
    const t0 = performance.now()
    try {
      const result = this.invoke(event)
      if (result !== undefined && typeof (result as Promise<unknown>)?.then === 'function') {
        ;(result as Promise<unknown>).then(
          (value) => {
            this.handled++
            tracker.settle(this, { ok: true, value, attempts: 1, durationMs: performance.now() - t0, cause: 'handler' })
          },
          (err: unknown) => tracker.settle(this, { ok: false, error: this.fail(event, err), attempts: 1, durationMs: performance.now() - t0, cause: 'handler' }),
        )
      } else {
        this.handled++
        tracker.settle(this, { ok: true, value: result, attempts: 1, durationMs: performance.now() - t0, cause: 'handler' })
      }
    } catch (err) {
      tracker.settle(this, { ok: false, error: this.fail(event, err), attempts: 1, durationMs: performance.now() - t0, cause: 'handler' })
    }
    if (bus.inspecting)
      bus.emitInspection({ kind: 'deliver', at: Date.now(), event, subscriptionId: this.id, durationMs: performance.now() - t0, attempt: 1 })
    return Outcome.Delivered
  }

  private runFilter(event: TidingsEvent): boolean {
    try {
      return this.filter!(event)
    } catch (err) {
      this.fail(event, err)
      return false
    }
  }

  private fail(event: TidingsEvent, err: unknown): Error {
    this.errors++
    const error = toError(err)
    const f = { error, event, subscriptionId: this.id, attempts: 1, ...(this.label !== undefined ? { label: this.label } : {}) }
    this.bus.reportFailure(f, true, 1)
    return error
  }

  protected override onClose(): void {
    this.closeHook?.()
  }
}
