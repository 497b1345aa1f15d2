// A handler subscription with a bounded queue: publish only enqueues (never runs the handler),
// up to `concurrency` worker loops take events oldest-first and run them with the execution
// policies of ExecSubscription (timeout, retry, once). With concurrency 1 events are handled one
// at a time in publish order, retries included, so per-origin order holds.
import { RingQueue } from './bounded-queue.js'
import { checkPositiveInt, normalizeQueue, type Strategy } from './delivery-options.js'
import type { TidingsEvent } from './envelope.js'
import { AbortedError, QueueFullError } from './errors.js'
import { ExecSubscription, type ExecHandler, type ExecOptions } from './exec-subscription.js'
import { Outcome, type BusInternals } from './subscription.js'
import type { QueueOptions, SubscriptionInfo, SubscriptionKind } from './types.js'

export interface QueuedOptions extends ExecOptions {
  queue?: Partial<QueueOptions> | undefined
  concurrency?: number | undefined
}

/** A publishAsync() waiting for room in a full 'block' queue. */
interface BlockedPublish {
  event: TidingsEvent
  resolve(accepted: boolean): void
  timer: ReturnType<typeof setTimeout>
}

export class QueuedSubscription extends ExecSubscription {
  readonly max: number
  readonly strategy: Strategy
  readonly blockTimeoutMs: number
  readonly concurrency: number
  private readonly queue = new RingQueue<TidingsEvent>()
  /** Worker loops currently running (at most `concurrency`). */
  private running = 0
  private highWater = 0
  private readonly blocked = new Set<BlockedPublish>()

  constructor(bus: BusInternals, patterns: readonly string[], handler: ExecHandler, opts: QueuedOptions, kind: SubscriptionKind = 'queued') {
    super(bus, patterns, handler, opts, kind)
    const q = normalizeQueue(opts.queue, 'queue')
    this.max = q.max
    this.strategy = q.strategy
    this.blockTimeoutMs = q.blockTimeoutMs
    this.concurrency = opts.concurrency === undefined ? 1 : checkPositiveInt(opts.concurrency, 'concurrency')
  }

  override deliver(event: TidingsEvent): Outcome {
    if (!this.accepting) return Outcome.Skipped
    if (this.filter !== undefined && !this.passes(event)) return Outcome.Skipped
    this.received++
    let outcome: Outcome = Outcome.Queued
    // Publishers already waiting for room go first, so a new event cannot overtake them.
    if (this.queue.size >= this.max || this.blocked.size !== 0) {
      switch (this.strategy) {
        case 'drop-newest':
          this.dropped++
          this.noteDrop(event, 'drop-newest')
          return Outcome.Dropped
        case 'reject':
          this.rejected++
          this.noteReject(event, 'queue full')
          return Outcome.Rejected
        case 'block':
          return Outcome.Full
        default: {
          const oldest = this.queue.shift()
          if (oldest !== undefined) {
            this.dropped++
            this.noteDrop(oldest, 'drop-oldest')
          }
          outcome = Outcome.QueuedEvicted
        }
      }
    }
    if (this.once) this.stopReceiving()
    this.enqueue(event)
    return outcome
  }

  private enqueue(event: TidingsEvent): void {
    if (this.bus.tracking !== 0) this.bus.trackerFor(event)?.expect(this)
    this.queue.push(event)
    if (this.queue.size > this.highWater) this.highWater = this.queue.size
    if (this.running < this.concurrency) {
      this.running++
      void this.work()
    }
  }

  private async work(): Promise<void> {
    // Never run a queued handler inside publish.
    await undefined
    let event: TidingsEvent | undefined
    while (this.active && (event = this.queue.shift()) !== undefined) {
      if (this.blocked.size !== 0) this.admitBlocked()
      this.inflight++
      try {
        const tracker = this.bus.tracking !== 0 ? this.bus.trackerFor(event) : undefined
        const pending = this.run(event, tracker)
        if (pending !== undefined) await pending
      } catch (err) {
        // Only a throwing error reporter (e.g. a full 'reject' queue on $tidings.error) gets
        // here; the worker must survive it.
        console.error('[tidings] failure while reporting a handler outcome', err)
      } finally {
        this.inflight--
      }
    }
    this.running--
    this.checkIdle()
  }

  override waitForRoom(event: TidingsEvent): Promise<boolean> {
    if (!this.accepting) {
      this.rejected++
      this.noteReject(event, 'subscription ended')
      return Promise.resolve(false)
    }
    return new Promise<boolean>((resolve) => {
      const b: BlockedPublish = {
        event,
        resolve,
        timer: setTimeout(() => {
          this.blocked.delete(b)
          this.rejected++
          this.noteReject(event, `block timed out after ${this.blockTimeoutMs} ms`)
          resolve(false)
        }, this.blockTimeoutMs),
      }
      this.blocked.add(b)
      // Room may have freed since deliver() said Full.
      if (this.queue.size < this.max) this.admitBlocked()
    })
  }

  /** The oldest waiting publishAsync takes the free slot. */
  private admitBlocked(): void {
    const first = this.blocked.values().next()
    if (first.done) return
    const b = first.value
    this.blocked.delete(b)
    clearTimeout(b.timer)
    if (this.once) this.stopReceiving()
    this.enqueue(b.event)
    b.resolve(true)
  }

  override refused(event: TidingsEvent): void {
    this.rejected++
    this.noteReject(event, "queue full ('block' in a sync publish; use publishAsync to wait)")
  }

  private noteDrop(event: TidingsEvent, reason: 'drop-oldest' | 'drop-newest' | 'shutdown'): void {
    const bus = this.bus
    if (bus.inspecting) bus.emitInspection({ kind: 'drop', at: Date.now(), event, subscriptionId: this.id, reason })
    if (bus.tracking !== 0) {
      const error = reason === 'shutdown' ? new AbortedError(`subscription ${this.id} ended before handling "${event.type}"`) : new QueueFullError(event.type, [this.id], this.max, ` (dropped by ${reason})`)
      bus.trackerFor(event)?.settle(this, { ok: false, error, attempts: 0, durationMs: 0, cause: 'queue' })
    }
  }

  private noteReject(event: TidingsEvent, reason: string): void {
    const bus = this.bus
    if (bus.inspecting) bus.emitInspection({ kind: 'reject', at: Date.now(), event, subscriptionId: this.id, reason })
    if (bus.tracking !== 0)
      bus.trackerFor(event)?.settle(this, { ok: false, error: new QueueFullError(event.type, [this.id], this.max, ` (${reason})`), attempts: 0, durationMs: 0, cause: 'queue' })
  }

  /** Everything still queued is counted as dropped (reason 'shutdown'), never silently lost;
   *  waiting publishAsync calls are refused. */
  private discardQueued(): number {
    const left = this.queue.takeAll()
    for (const e of left) {
      this.dropped++
      this.bus.counters.dropped++
      this.noteDrop(e, 'shutdown')
    }
    for (const b of [...this.blocked]) {
      this.blocked.delete(b)
      clearTimeout(b.timer)
      this.rejected++
      this.noteReject(b.event, 'subscription ended')
      b.resolve(false)
    }
    return left.length
  }

  protected override isIdle(): boolean {
    return this.queue.size === 0 && this.inflight === 0 && this.blocked.size === 0
  }

  protected override abandonAtDeadline(): number {
    return this.discardQueued() + this.inflight
  }

  protected override onClose(): void {
    super.onClose()
    this.discardQueued()
  }

  override queueDepth(): number {
    return this.queue.size
  }

  override maxQueued(): number {
    return this.highWater
  }

  override queueMax(): number {
    return this.max
  }

  override info(): SubscriptionInfo {
    return { ...super.info(), queueMax: this.max, strategy: this.strategy, concurrency: this.concurrency }
  }
}
