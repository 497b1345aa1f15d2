// Runs a handler on one event under the subscription's execution policies: each attempt may be
// cut short by timeoutMs, a failed attempt is tried again after its backoff (on a timer, never
// inside publish), and the final outcome is settled for a dispatch()/request() waiting on the
// event. HandlerSubscription uses one runner, whether the first attempt runs inside publish (no
// queue) or in a queue's worker.
import { checkDuration, checkNumber, checkPositiveInt, checkTimeout, InvalidOptionError } from './delivery-options.js'
import type { TidingsEvent } from './envelope.js'
import { isRetryable, TimeoutError, toError } from './errors.js'
import { now } from './clock.js'
import { HandlerCtx, readsCtx } from './handler-context.js'
import { DELIVER_BIT } from './inspect.js'
import type { BaseSubscription } from './subscription.js'
import type { DeliveryTracker } from './tracker.js'
import type { RetryOptions } from './types.js'

export type PolicyHandler = (event: TidingsEvent, ctx: HandlerCtx) => unknown

/** A failed attempt waiting for its retry timer. */
interface Backoff {
  timer: ReturnType<typeof setTimeout>
  /** Gives up now: the last error becomes final. */
  abandon(): void
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function'
}

export class AttemptRunner {
  // Public fields are `declare`d and set in the constructor (no field definitions to ship);
  // private ones are #fields, whose names minify.
  /** Attempts in all, the first included (retry.attempts; 1 without retry). */
  declare readonly attempts: number
  /** The wait before attempt n+1 is backoffMs * factor^(n-1). */
  declare readonly backoffMs: number
  declare readonly factor: number
  declare readonly timeoutMs: number | undefined
  /** Whether the handler can read ctx at all (see readsCtx): otherwise no ctx is built. */
  readonly #wantsCtx!: boolean
  readonly #backoffs = new Set<Backoff>()

  readonly #sub!: BaseSubscription
  readonly #handler!: PolicyHandler
  readonly #onFinal!: () => void
  /** `onFinal` runs once per event, when its outcome is final (handled, or failed for good). */
  constructor(sub: BaseSubscription, handler: PolicyHandler, opts: { retry?: RetryOptions | undefined; timeoutMs?: number | undefined }, onFinal: () => void) {
    this.#sub = sub
    this.#handler = handler
    this.#onFinal = onFinal
    const retry = opts.retry
    if (retry !== undefined && (typeof retry !== 'object' || retry === null)) throw new InvalidOptionError('retry', retry, '{ attempts, backoffMs?, factor? }')
    this.attempts = retry === undefined ? 1 : checkPositiveInt(retry.attempts, 'retry.attempts')
    this.backoffMs = checkDuration(retry?.backoffMs ?? 0, 'retry.backoffMs')
    this.factor = checkNumber(retry?.factor ?? 2, 'retry.factor', (n) => n >= 1 && n < Infinity, 'a finite number >= 1')
    this.timeoutMs = opts.timeoutMs === undefined ? undefined : checkTimeout(opts.timeoutMs, 'timeoutMs')
    this.#wantsCtx = readsCtx(handler)
  }

  /** Runs every attempt for one event; undefined when it finished synchronously. */
  run(event: TidingsEvent, tracker: DeliveryTracker | undefined): Promise<void> | undefined {
    const t0 = tracker !== undefined || this.#sub.bus.inspected & DELIVER_BIT ? performance.now() : 0
    return this.#attempt(event, 1, tracker, t0)
  }

  /** The subscription ended: retries still waiting for their timer will not happen. */
  abandon(): void {
    for (const b of [...this.#backoffs]) b.abandon()
  }

  #attempt(event: TidingsEvent, n: number, tracker: DeliveryTracker | undefined, t0: number): Promise<void> | undefined {
    const bus = this.#sub.bus
    const ctrl = this.timeoutMs !== undefined ? new AbortController() : undefined
    const ta = bus.inspected & DELIVER_BIT ? performance.now() : 0
    let result: unknown
    try {
      result = this.#wantsCtx
        ? this.#handler(event, new HandlerCtx(bus, this.#sub, event, n, ctrl?.signal))
        : (this.#handler as (e: TidingsEvent) => unknown)(event)
    } catch (err) {
      return this.#outcome(event, n, false, err, tracker, t0, ta)
    }
    if (isThenable(result)) return this.#settleLater(event, n, result, ctrl, tracker, t0, ta)
    return this.#outcome(event, n, true, result, tracker, t0, ta)
  }

  async #settleLater(
    event: TidingsEvent,
    n: number,
    result: PromiseLike<unknown>,
    ctrl: AbortController | undefined,
    tracker: DeliveryTracker | undefined,
    t0: number,
    ta: number,
  ): Promise<void> {
    let ok = true
    let value: unknown
    try {
      value = ctrl === undefined ? await result : await this.#withTimeout(result, ctrl, event)
    } catch (err) {
      ok = false
      value = err
    }
    return this.#outcome(event, n, ok, value, tracker, t0, ta)
  }

  /** Races the handler's promise with timeoutMs; on timeout ctx.signal aborts with the
   *  TimeoutError. Unsubscribing aborts ctx.signal too. */
  #withTimeout(result: PromiseLike<unknown>, ctrl: AbortController, event: TidingsEvent): Promise<unknown> {
    const ms = this.timeoutMs!
    const sub = this.#sub
    const subSignal = sub.signal
    return new Promise((resolve, reject) => {
      const onAbort = () => ctrl.abort(subSignal.reason)
      const cleanup = () => {
        clearTimeout(timer)
        subSignal.removeEventListener('abort', onAbort)
      }
      subSignal.addEventListener('abort', onAbort, { once: true })
      const timer = setTimeout(() => {
        cleanup()
        const err = new TimeoutError(`Handler ${sub.label ?? sub.id} for "${event.type}"`, ms)
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

  /** One attempt ended with `value` (ok) or the thrown `value`: settle, or retry after backoff. */
  #outcome(
    event: TidingsEvent,
    n: number,
    ok: boolean,
    value: unknown,
    tracker: DeliveryTracker | undefined,
    t0: number,
    ta: number,
  ): Promise<void> | undefined {
    const sub = this.#sub
    const bus = sub.bus
    if (bus.inspected & DELIVER_BIT) bus.emitInspection({ kind: 'deliver', at: now(), event, subscriptionId: sub.id, durationMs: performance.now() - ta, attempt: n })
    if (ok) {
      sub.handled++
      tracker?.settle(sub, { ok: true, value, attempts: n, durationMs: performance.now() - t0, cause: 'handler' })
      this.#onFinal()
      return undefined
    }
    const error = toError(value)
    // A terminal error (own `retryable: false`, see isRetryable) ends the retries at once; the
    // thrown value itself is checked, since toError() copies only name and message of a non-Error.
    const final = n >= this.attempts || !sub.active || !isRetryable(value)
    this.#report(event, error, n, final)
    if (final) return this.#failedFinally(error, n, tracker, t0)
    return new Promise<void>((resolve) => {
      const b: Backoff = {
        timer: setTimeout(() => {
          this.#backoffs.delete(b)
          resolve(this.#attempt(event, n + 1, tracker, t0))
        }, this.backoffMs * this.factor ** (n - 1)),
        abandon: () => {
          clearTimeout(b.timer)
          this.#backoffs.delete(b)
          // The retry will not happen: the last failure becomes the final one.
          this.#report(event, error, n, true)
          this.#failedFinally(error, n, tracker, t0)
          resolve()
        },
      }
      this.#backoffs.add(b)
    })
  }

  #failedFinally(error: Error, n: number, tracker: DeliveryTracker | undefined, t0: number): undefined {
    tracker?.settle(this.#sub, { ok: false, error, attempts: n, durationMs: performance.now() - t0, cause: 'handler' })
    this.#onFinal()
    return undefined
  }

  /** Reports a failed attempt. Reporting publishes '$tidings.error', which can itself throw (a
   *  full 'reject' queue there); that must not break the retry and outcome bookkeeping. */
  #report(event: TidingsEvent, error: Error, n: number, final: boolean): void {
    try {
      this.#sub.fail(event, error, n, final)
    } catch (err) {
      console.error('[tidings] reporting a handler failure failed', err)
    }
  }
}
