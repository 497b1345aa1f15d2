// A handler subscription with execution policies: timeoutMs, retry, once, outcome reporting to
// dispatch()/request(). Used directly for unqueued handlers that have retry or timeoutMs: the
// first attempt still runs synchronously inside publish (so "without a queue the handler runs in
// publish" holds), retries run later on timers. QueuedSubscription reuses the attempt logic.
import type { TidingsEvent } from './envelope.js'
import { checkTimeout } from './delivery-options.js'
import { TimeoutError, toError } from './errors.js'
import { HandlerCtx, readsCtx } from './handler-context.js'
import { RetryPolicy } from './retry-policy.js'
import { BaseSubscription, Outcome, type BusInternals } from './subscription.js'
import type { DeliveryTracker } from './tracker.js'
import type { HandlerFailure, RetryOptions, SubscriptionKind } from './types.js'

export type ExecHandler = (event: TidingsEvent, ctx: HandlerCtx) => unknown

export interface ExecOptions {
  priority?: number | undefined
  label?: string | undefined
  key?: string | undefined
  signal?: AbortSignal | undefined
  once?: boolean | undefined
  filter?: ((event: TidingsEvent) => boolean) | undefined
  timeoutMs?: number | undefined
  retry?: RetryOptions | undefined
}

/** A failed attempt waiting for its retry timer. */
interface Backoff {
  timer: ReturnType<typeof setTimeout>
  /** Gives up now: the last error becomes final. */
  abandon(): void
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function'
}

export class ExecSubscription extends BaseSubscription {
  readonly kind: SubscriptionKind
  protected readonly once: boolean
  protected readonly filter: ((event: TidingsEvent) => boolean) | undefined
  protected readonly retry: RetryPolicy
  protected readonly timeoutMs: number | undefined
  /** False once a `once` subscription took its event, or after unsubscribe. */
  protected accepting = true
  /** Events whose final outcome is still pending (running, awaited or waiting to retry). */
  protected inflight = 0
  /** Events that reached their final outcome (handled, or failed for good). */
  protected finished = 0
  private readonly wantsCtx: boolean
  private readonly backoffs = new Set<Backoff>()
  private idleWaiters: Array<() => void> = []

  private readonly handler: ExecHandler
  constructor(
    bus: BusInternals,
    patterns: readonly string[],
    handler: ExecHandler,
    opts: ExecOptions,
    kind: SubscriptionKind = 'handler',
  ) {
    super(bus, patterns, opts)
    this.handler = handler
    this.kind = kind
    this.once = opts.once ?? false
    this.filter = opts.filter
    this.retry = RetryPolicy.from(opts.retry)
    this.timeoutMs = opts.timeoutMs === undefined ? undefined : checkTimeout(opts.timeoutMs, 'timeoutMs')
    this.wantsCtx = readsCtx(handler)
  }

  deliver(event: TidingsEvent): Outcome {
    if (!this.accepting) return Outcome.Skipped
    if (this.filter !== undefined && !this.passes(event)) return Outcome.Skipped
    this.received++
    if (this.once) this.stopReceiving()
    const tracker = this.bus.tracking !== 0 ? this.bus.trackerFor(event) : undefined
    tracker?.expect(this)
    const pending = this.run(event, tracker)
    if (pending !== undefined) {
      this.inflight++
      void pending.then(() => {
        this.inflight--
        this.checkIdle()
      })
    }
    return Outcome.Delivered
  }

  /** Runs every attempt for one event; undefined when it finished synchronously. */
  protected run(event: TidingsEvent, tracker: DeliveryTracker | undefined): Promise<void> | undefined {
    const t0 = tracker !== undefined || this.bus.inspecting ? performance.now() : 0
    return this.attempt(event, 1, tracker, t0)
  }

  private attempt(event: TidingsEvent, n: number, tracker: DeliveryTracker | undefined, t0: number): Promise<void> | undefined {
    const ctrl = this.timeoutMs !== undefined ? new AbortController() : undefined
    const ta = this.bus.inspecting ? performance.now() : 0
    let result: unknown
    try {
      result = this.wantsCtx
        ? this.handler(event, new HandlerCtx(this.bus, this, event, n, ctrl?.signal))
        : (this.handler as (e: TidingsEvent) => unknown)(event)
    } catch (err) {
      this.noteAttempt(event, n, ta)
      return this.failed(event, n, err, tracker, t0)
    }
    if (isThenable(result)) return this.awaitAttempt(event, n, result, ctrl, tracker, t0, ta)
    this.noteAttempt(event, n, ta)
    this.succeeded(n, result, tracker, t0)
    return undefined
  }

  private async awaitAttempt(
    event: TidingsEvent,
    n: number,
    result: PromiseLike<unknown>,
    ctrl: AbortController | undefined,
    tracker: DeliveryTracker | undefined,
    t0: number,
    ta: number,
  ): Promise<void> {
    let value: unknown
    try {
      value = ctrl === undefined ? await result : await this.withTimeout(result, ctrl, event)
    } catch (err) {
      this.noteAttempt(event, n, ta)
      return this.failed(event, n, err, tracker, t0)
    }
    this.noteAttempt(event, n, ta)
    this.succeeded(n, value, tracker, t0)
  }

  /** Races the handler's promise with timeoutMs; on timeout ctx.signal aborts with the
   *  TimeoutError. Unsubscribing aborts ctx.signal too. */
  private withTimeout(result: PromiseLike<unknown>, ctrl: AbortController, event: TidingsEvent): Promise<unknown> {
    const ms = this.timeoutMs!
    const subSignal = this.signal
    return new Promise((resolve, reject) => {
      const onAbort = () => ctrl.abort(subSignal.reason)
      const cleanup = () => {
        clearTimeout(timer)
        subSignal.removeEventListener('abort', onAbort)
      }
      subSignal.addEventListener('abort', onAbort, { once: true })
      const timer = setTimeout(() => {
        cleanup()
        const err = new TimeoutError(`Handler ${this.label ?? this.id} for "${event.type}"`, ms)
        ctrl.abort(err)
        reject(err)
      }, ms)
      result.then(
        (v) => {
          cleanup()
          resolve(v)
        },
        (e: unknown) => {
          cleanup()
          reject(e)
        },
      )
    })
  }

  private succeeded(n: number, value: unknown, tracker: DeliveryTracker | undefined, t0: number): void {
    this.handled++
    tracker?.settle(this, { ok: true, value, attempts: n, durationMs: performance.now() - t0, cause: 'handler' })
    this.finish()
  }

  private failed(event: TidingsEvent, n: number, err: unknown, tracker: DeliveryTracker | undefined, t0: number): Promise<void> | undefined {
    const error = toError(err)
    const final = n >= this.retry.attempts || !this.active
    this.report(event, error, n, final)
    if (!final) return this.backoff(event, n, error, tracker, t0)
    this.failedFinally(error, n, tracker, t0)
    return undefined
  }

  private failedFinally(error: Error, n: number, tracker: DeliveryTracker | undefined, t0: number): void {
    this.errors++
    tracker?.settle(this, { ok: false, error, attempts: n, durationMs: performance.now() - t0, cause: 'handler' })
    this.finish()
  }

  private backoff(event: TidingsEvent, n: number, lastError: Error, tracker: DeliveryTracker | undefined, t0: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const b: Backoff = {
        timer: setTimeout(() => {
          this.backoffs.delete(b)
          resolve(this.attempt(event, n + 1, tracker, t0))
        }, this.retry.delayAfter(n)),
        abandon: () => {
          clearTimeout(b.timer)
          this.backoffs.delete(b)
          // The retry will not happen: the last failure becomes the final one.
          this.report(event, lastError, n, true)
          this.failedFinally(lastError, n, tracker, t0)
          resolve()
        },
      }
      this.backoffs.add(b)
    })
  }

  /** Reports a failed attempt. Reporting publishes '$tidings.error', which can itself throw (a
   *  full 'reject' queue there); that must not break this subscription's bookkeeping. */
  private report(event: TidingsEvent, error: Error, attempts: number, final: boolean): void {
    try {
      this.bus.reportFailure(this.failure(event, error, attempts), final, attempts)
    } catch (err) {
      console.error('[tidings] reporting a handler failure failed', err)
    }
  }

  protected failure(event: TidingsEvent, error: Error, attempts: number): HandlerFailure {
    const f: HandlerFailure = { error, event, subscriptionId: this.id, attempts }
    if (this.label !== undefined) f.label = this.label
    return f
  }

  private noteAttempt(event: TidingsEvent, attempt: number, ta: number): void {
    if (this.bus.inspecting)
      this.bus.emitInspection({ kind: 'deliver', at: Date.now(), event, subscriptionId: this.id, durationMs: performance.now() - ta, attempt })
  }

  /** One event reached its final outcome. */
  private finish(): void {
    this.finished++
    // A `once` subscription ends after its only event, retries included.
    if (this.once) this.unsubscribe()
  }

  protected passes(event: TidingsEvent): boolean {
    try {
      return this.filter!(event)
    } catch (err) {
      this.errors++
      this.report(event, toError(err), 1, true)
      return false
    }
  }

  /** A `once` subscription took its event: refuse new ones, finish this one (retries included),
   *  then unsubscribe. It stays registered until then, so shutdown still drains it. */
  protected stopReceiving(): void {
    this.accepting = false
  }

  protected isIdle(): boolean {
    return this.inflight === 0
  }

  protected checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }

  /** Called when the drain deadline passes; returns how many events did not finish. */
  protected abandonAtDeadline(): number {
    return this.inflight
  }

  override drain(deadline: number): Promise<{ drained: number; undelivered: number }> {
    const start = this.finished
    if (this.isIdle()) return Promise.resolve({ drained: 0, undelivered: 0 })
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        resolve({ drained: this.finished - start, undelivered: 0 })
      }
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done)
        const undelivered = this.abandonAtDeadline()
        resolve({ drained: this.finished - start, undelivered })
      }, Math.max(0, deadline - Date.now()))
      this.idleWaiters.push(done)
    })
  }

  protected override onClose(): void {
    this.accepting = false
    for (const b of [...this.backoffs]) b.abandon()
  }
}
