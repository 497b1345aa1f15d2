// A pull subscription (seed 001's Event.receive / receive_batch): matching events wait in a
// bounded ring queue until the app asks for them. A pending receive() takes the next event
// straight from publish, without queueing it.
import { RingQueue } from './bounded-queue.js'
import { checkDuration, checkPositiveInt, normalizeQueue } from './delivery-options.js'
import type { TidingsEvent } from './envelope.js'
import { BaseSubscription, Outcome, type BusInternals } from './subscription.js'
import type { Inbox, InboxOptions, SubscriptionInfo } from './types.js'

/** A receive() or receiveBatch() call waiting for events. */
interface Waiter {
  /** Takes one event; returns true when the waiter is satisfied. */
  take(event: TidingsEvent): boolean
  /** Ends the wait with what it has (timeout or close). */
  finish(): void
}

export class InboxSubscription extends BaseSubscription implements Inbox<TidingsEvent> {
  readonly kind = 'inbox' as const
  readonly max: number
  readonly strategy: 'drop-oldest' | 'drop-newest' | 'reject'
  private readonly queue = new RingQueue<TidingsEvent>()
  private readonly waiters = new RingQueue<Waiter>()
  private highWater = 0

  constructor(bus: BusInternals, patterns: readonly string[], opts: InboxOptions & { key?: string | undefined; label?: string | undefined } = {}) {
    super(bus, patterns, opts)
    const q = normalizeQueue(opts, 'inbox', ['drop-oldest', 'drop-newest', 'reject'])
    this.max = q.max
    this.strategy = q.strategy as InboxSubscription['strategy']
  }

  get closed(): boolean {
    return !this.active
  }

  deliver(event: TidingsEvent): Outcome {
    if (!this.active) return Outcome.Skipped
    this.received++
    const w = this.waiters.peek()
    if (w !== undefined) {
      this.handled++
      if (w.take(event)) this.waiters.shift()
      return Outcome.Queued
    }
    let outcome: Outcome = Outcome.Queued
    if (this.queue.size >= this.max) {
      const bus = this.bus
      if (this.strategy === 'drop-newest') {
        this.dropped++
        if (bus.inspecting) bus.emitInspection({ kind: 'drop', at: Date.now(), event, subscriptionId: this.id, reason: 'drop-newest' })
        return Outcome.Dropped
      }
      if (this.strategy === 'reject') {
        this.rejected++
        if (bus.inspecting) bus.emitInspection({ kind: 'reject', at: Date.now(), event, subscriptionId: this.id, reason: 'inbox full' })
        return Outcome.Rejected
      }
      const oldest = this.queue.shift()!
      this.dropped++
      if (bus.inspecting) bus.emitInspection({ kind: 'drop', at: Date.now(), event: oldest, subscriptionId: this.id, reason: 'drop-oldest' })
      outcome = Outcome.QueuedEvicted
    }
    this.queue.push(event)
    if (this.queue.size > this.highWater) this.highWater = this.queue.size
    return outcome
  }

  receive(opts: { timeoutMs?: number } = {}): Promise<TidingsEvent | undefined> {
    const next = this.queue.shift()
    if (next !== undefined) {
      this.handled++
      this.wakeDrain()
      return Promise.resolve(next)
    }
    const timeoutMs = opts.timeoutMs === undefined ? undefined : checkDuration(opts.timeoutMs, 'receive timeoutMs')
    if (!this.active || timeoutMs === 0) return Promise.resolve(undefined)
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const w: Waiter = {
        take: (e) => {
          if (timer !== undefined) clearTimeout(timer)
          resolve(e)
          return true
        },
        finish: () => {
          if (timer !== undefined) clearTimeout(timer)
          resolve(undefined)
        },
      }
      if (timeoutMs !== undefined) timer = setTimeout(() => this.expire(w), timeoutMs)
      this.waiters.push(w)
    })
  }

  /** Resolves with `max` events, or with what arrived by `timeoutMs` (0 polls; without a
   *  timeout it waits until `max` arrived or the inbox closes). */
  receiveBatch(opts: { max: number; timeoutMs?: number }): Promise<TidingsEvent[]> {
    const max = checkPositiveInt(opts?.max, 'receiveBatch max')
    const timeoutMs = opts.timeoutMs === undefined ? undefined : checkDuration(opts.timeoutMs, 'receiveBatch timeoutMs')
    const got: TidingsEvent[] = []
    while (got.length < max) {
      const e = this.queue.shift()
      if (e === undefined) break
      got.push(e)
    }
    this.handled += got.length
    if (got.length) this.wakeDrain()
    if (got.length === max || timeoutMs === 0 || !this.active) return Promise.resolve(got)
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const w: Waiter = {
        take: (e) => {
          got.push(e)
          if (got.length < max) return false
          if (timer !== undefined) clearTimeout(timer)
          resolve(got)
          return true
        },
        finish: () => {
          if (timer !== undefined) clearTimeout(timer)
          resolve(got)
        },
      }
      if (timeoutMs !== undefined) timer = setTimeout(() => this.expire(w), timeoutMs)
      this.waiters.push(w)
    })
  }

  /** A waiter timed out: take it out of line and let it resolve with what it has. */
  private expire(w: Waiter): void {
    const rest = this.waiters.takeAll().filter((x) => x !== w)
    for (const x of rest) this.waiters.push(x)
    w.finish()
  }

  [Symbol.asyncIterator](): AsyncIterator<TidingsEvent> {
    return {
      next: async () => {
        const value = await this.receive()
        return value === undefined ? { done: true, value: undefined } : { done: false, value }
      },
      // Leaving a for-await loop (break, throw) closes the inbox: the loop owned it.
      return: async () => {
        this.close()
        return { done: true, value: undefined }
      },
    }
  }

  close(): void {
    this.unsubscribe()
  }

  protected override onClose(): void {
    // Waiting receivers end; events already queued can still be received.
    for (const w of this.waiters.takeAll()) w.finish()
  }

  private drainWaiter: (() => void) | undefined

  private wakeDrain(): void {
    if (this.queue.size === 0) this.drainWaiter?.()
  }

  /** Shutdown gives readers until the deadline to empty the inbox; what is left is counted as
   *  undelivered and reported as dropped (reason 'shutdown'). */
  override drain(deadline: number): Promise<{ drained: number; undelivered: number }> {
    if (this.queue.size === 0) return Promise.resolve({ drained: 0, undelivered: 0 })
    const start = this.handled
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drainWaiter = undefined
        const left = this.queue.takeAll()
        for (const e of left) {
          this.dropped++
          this.bus.counters.dropped++
          if (this.bus.inspecting) this.bus.emitInspection({ kind: 'drop', at: Date.now(), event: e, subscriptionId: this.id, reason: 'shutdown' })
        }
        resolve({ drained: this.handled - start, undelivered: left.length })
      }, Math.max(0, deadline - Date.now()))
      this.drainWaiter = () => {
        clearTimeout(timer)
        this.drainWaiter = undefined
        resolve({ drained: this.handled - start, undelivered: 0 })
      }
    })
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
    return { ...super.info(), queueMax: this.max, strategy: this.strategy }
  }
}
