// A handler subscription with delivery policies (subscribe/reply with retry, timeoutMs, queue or
// concurrency; plain handlers are SyncSubscriptions). An AttemptRunner runs the handler (timeout,
// retries, outcome for dispatch/request):
// - without a queue the first attempt still runs synchronously inside publish, so "without a
//   queue the handler runs in publish" holds; retries run later on timers;
// - with a queue publish only offers the event to a BoundedBuffer, and up to `concurrency` worker
//   loops take events oldest-first. With concurrency 1 events are handled one at a time in
//   publish order, retries included, so per-origin order holds.
// A `once` subscription takes one event, then stays registered (so shutdown still drains it)
// until that event's outcome is final, retries included.
import { AttemptRunner, type PolicyHandler } from './attempt-runner.js'
import { BoundedBuffer } from './bounded-buffer.js'
import { checkPositiveInt } from './delivery-options.js'
import type { TidingsEvent } from './envelope.js'
import * as Outcome from './outcome.js'
import { BaseSubscription, type BaseOptions, type BusInternals, type PatternSet } from './subscription.js'
import type { QueueOptions, RetryOptions, SubscriptionInfo, SubscriptionKind } from './types.js'

export interface PolicyOptions extends BaseOptions {
  timeoutMs?: number | undefined
  retry?: RetryOptions | undefined
  queue?: Partial<QueueOptions> | undefined
  concurrency?: number | undefined
}

export class HandlerSubscription extends BaseSubscription {
  // Public fields are `declare`d and set in the constructor (no field definitions to ship);
  // private ones are #fields, whose names minify.
  declare readonly kind: SubscriptionKind
  /** Worker loops that may run at once (with a queue). */
  declare readonly concurrency: number
  readonly #runner!: AttemptRunner
  /** Worker loops running now. */
  #workers = 0

  constructor(bus: BusInternals, patterns: PatternSet, handler: PolicyHandler, opts: PolicyOptions, kind: SubscriptionKind) {
    super(bus, patterns, opts)
    this.kind = kind
    // A `once` subscription ends when its one event's outcome is final.
    this.#runner = new AttemptRunner(this, handler, opts, () => this.once && this.unsubscribe())
    const queued = opts.queue !== undefined || opts.concurrency !== undefined
    if (queued) this.queue = new BoundedBuffer(this, opts.queue, 'queue', (e) => this.#queued(e))
    this.concurrency = opts.concurrency === undefined ? 1 : checkPositiveInt(opts.concurrency, 'concurrency')
  }

  deliver(event: TidingsEvent): Outcome.Code {
    if (!this.takes(event)) return Outcome.Skipped
    if (this.queue !== undefined) return this.queue.offer(event)
    const tracker = this.trackerOf(event)
    tracker?.expect(this)
    const pending = this.#runner.run(event, tracker)
    if (pending !== undefined) {
      this.inflight++
      void pending.then(() => {
        this.inflight--
        this.settled()
      })
    }
    return Outcome.Delivered
  }

  /** An event entered the queue: a dispatch() waiting on it now expects this handler; start a
   *  worker if fewer than `concurrency` run. */
  #queued(event: TidingsEvent): void {
    this.trackerOf(event)?.expect(this)
    if (this.#workers < this.concurrency) {
      this.#workers++
      void this.#work()
    }
  }

  async #work(): Promise<void> {
    const queue = this.queue!
    // Never run a queued handler inside publish.
    await undefined
    let event: TidingsEvent | undefined
    while (this.active && (event = queue.shift()) !== undefined) {
      queue.admitBlocked()
      this.inflight++
      try {
        const pending = this.#runner.run(event, this.trackerOf(event))
        if (pending !== undefined) await pending
      } catch (err) {
        // Only a throwing outcome consumer gets here; the worker must survive it.
        console.error('[tidings] failure while reporting a handler outcome', err)
      } finally {
        this.inflight--
      }
    }
    this.#workers--
    this.settled()
  }

  protected override onClose(): void {
    this.#runner.abandon()
    this.queue?.discard()
  }

  override info(): SubscriptionInfo {
    const info = super.info()
    if (this.queue !== undefined) info.concurrency = this.concurrency
    return info
  }
}
