// The bounded queue of a subscription: a queued handler's (publish enqueues, workers take) and an
// inbox's (publish enqueues, the app receives). When it is full the strategy decides: drop the
// oldest, drop the new event, reject it, or ('block', queued handlers only) let publishAsync wait
// for room. Every drop and refusal is counted on the subscription, shown to inspectors and, for a
// dispatch()/request() waiting on the event, settled as that handler's outcome.
import { RingQueue } from './bounded-queue.js'
import { normalizeQueue, type Strategy } from './delivery-options.js'
import type { TidingsEvent } from './envelope.js'
import { AbortedError, QueueFullError } from './errors.js'
import * as Outcome from './outcome.js'
import { PriorityQueue } from './priority-buffer.js'
import type { BaseSubscription } from './subscription.js'
import type { SystemHost } from './system-events.js'
import type { QueueOptions } from './types.js'

/** A publishAsync() waiting for room in a full 'block' queue. */
interface BlockedPublish {
  event: TidingsEvent
  resolve(accepted: boolean): void
  timer: ReturnType<typeof setTimeout>
}

const INBOX_STRATEGIES: readonly Strategy[] = ['drop-oldest', 'drop-newest', 'reject']

export class BoundedBuffer {
  // Public fields are `declare`d and set in the constructor (no field definitions to ship);
  // private ones are #fields, whose names minify.
  /** How many events it holds at most (queue.max). */
  declare readonly capacity: number
  declare readonly strategy: Strategy
  declare readonly blockTimeoutMs: number
  /** The most events queued at once (stats().maxQueued). */
  highWater = 0
  /** The queued events: a FIFO ring, or with `order: 'priority'` a PriorityQueue. */
  readonly #ring!: RingQueue<TidingsEvent> | PriorityQueue
  readonly #blocked = new Set<BlockedPublish>()
  /** Lost and refused since the last `$tidings.queue.overflow` (sent from a timer: one per task). */
  #lost = 0
  #refused = 0

  readonly #sub!: BaseSubscription
  readonly #where!: 'queue' | 'inbox'
  readonly #onPush!: ((event: TidingsEvent) => void) | undefined
  /** `onPush` runs after every event that enters the queue (a queued handler starts a worker). */
  constructor(
    sub: BaseSubscription,
    opts: { [K in keyof QueueOptions]?: QueueOptions[K] | undefined } | undefined,
    where: 'queue' | 'inbox',
    onPush?: (event: TidingsEvent) => void,
  ) {
    const q = normalizeQueue(opts, where, where === 'inbox' ? INBOX_STRATEGIES : undefined)
    this.capacity = q.max
    this.strategy = q.strategy
    this.blockTimeoutMs = q.blockTimeoutMs
    this.#ring = q.priority ? new PriorityQueue() : new RingQueue()
    this.#sub = sub
    this.#where = where
    this.#onPush = onPush
  }

  /** How many events it holds now (stats().queued). */
  get depth(): number {
    return this.#ring.size
  }

  /** Nothing queued and no publisher waiting for room. */
  get empty(): boolean {
    return this.#ring.size === 0 && this.#blocked.size === 0
  }

  shift(): TidingsEvent | undefined {
    return this.#ring.shift()
  }

  /** The events queued now, in the order they will be taken; they stay queued. */
  snapshot(): TidingsEvent[] {
    const all = this.#ring.takeAll()
    for (const e of all) this.#ring.push(e)
    return all
  }

  /** Queues a published event, or applies the strategy when the queue is full. */
  offer(event: TidingsEvent): Outcome.Code {
    let outcome: Outcome.Code = Outcome.Queued
    // Publishers already waiting for room go first, so a new event cannot overtake them.
    if (this.#ring.size >= this.capacity || this.#blocked.size !== 0) {
      const ring = this.#ring
      const strategy = this.strategy
      // The event lost: in FIFO order the new one (drop-newest) or the oldest queued; in priority
      // order the lowest-ranked, which may be the new one either way (PriorityQueue.evictFor).
      let lost: TidingsEvent | undefined
      switch (strategy) {
        case 'reject':
          this.refuse(event, `${this.#where} full`)
          return Outcome.Rejected
        case 'block':
          return Outcome.Full
        case 'drop-newest':
          lost = ring instanceof PriorityQueue ? ring.evictFor(event, true) : event
          break
        default:
          lost = ring instanceof PriorityQueue ? ring.evictFor(event, false) : ring.shift()
      }
      if (lost !== undefined) {
        this.#sub.dropped++
        this.#noteDrop(lost, strategy as 'drop-oldest' | 'drop-newest')
        if (lost === event) return Outcome.Dropped
      }
      outcome = Outcome.QueuedEvicted
    }
    this.#push(event)
    return outcome
  }

  #push(event: TidingsEvent): void {
    this.#ring.push(event)
    if (this.#ring.size > this.highWater) this.highWater = this.#ring.size
    this.#onPush?.(event)
  }

  /** publishAsync on a full 'block' queue: resolves true once the event is queued, false when
   *  blockTimeoutMs passed first or the subscription ended. */
  waitForRoom(event: TidingsEvent): Promise<boolean> {
    if (!this.#sub.accepting) {
      this.refuse(event, 'subscription ended')
      return Promise.resolve(false)
    }
    return new Promise<boolean>((resolve) => {
      const b: BlockedPublish = {
        event,
        resolve,
        timer: setTimeout(() => {
          this.#blocked.delete(b)
          this.refuse(event, `block timed out after ${this.blockTimeoutMs} ms`)
          resolve(false)
        }, this.blockTimeoutMs),
      }
      this.#blocked.add(b)
      // Room may have freed since offer() said Full.
      if (this.#ring.size < this.capacity) this.admitBlocked()
    })
  }

  /** A slot is free: the oldest waiting publishAsync takes it. */
  admitBlocked(): void {
    const first = this.#blocked.values().next()
    if (first.done) return
    const b = first.value
    this.#blocked.delete(b)
    clearTimeout(b.timer)
    this.#push(b.event)
    b.resolve(true)
  }

  /** Counts and reports an event this queue did not take. */
  refuse(event: TidingsEvent, reason: string): void {
    const sub = this.#sub
    const bus = sub.bus
    sub.rejected++
    if ((bus as unknown as SystemHost).sys) this.#overflow(0, 1)
    if (bus.inspecting) bus.emitInspection({ kind: 'reject', at: Date.now(), event, subscriptionId: sub.id, reason })
    if (bus.tracking !== 0)
      bus.trackerFor(event)?.settle(sub, { ok: false, error: new QueueFullError(event.type, [sub.id], this.capacity, ` (${reason})`), attempts: 0, durationMs: 0, cause: 'queue' })
  }

  #noteDrop(event: TidingsEvent, reason: 'drop-oldest' | 'drop-newest' | 'shutdown'): void {
    const sub = this.#sub
    const bus = sub.bus
    if (reason !== 'shutdown' && (bus as unknown as SystemHost).sys) this.#overflow(1, 0)
    if (bus.inspecting) bus.emitInspection({ kind: 'drop', at: Date.now(), event, subscriptionId: sub.id, reason })
    if (bus.tracking !== 0) {
      const error =
        reason === 'shutdown'
          ? new AbortedError(`subscription ${sub.id} ended before handling "${event.type}"`)
          : new QueueFullError(event.type, [sub.id], this.capacity, ` (dropped by ${reason})`)
      bus.trackerFor(event)?.settle(sub, { ok: false, error, attempts: 0, durationMs: 0, cause: 'queue' })
    }
  }

  /** Counts toward the next `$tidings.queue.overflow`, sent from a timer so that one task's
   *  drops make one event. */
  #overflow(lost: number, refused: number): void {
    if (this.#lost + this.#refused === 0)
      setTimeout(() => {
        const data = { subscription: this.#sub.id, strategy: this.strategy, dropped: this.#lost, rejected: this.#refused }
        this.#lost = this.#refused = 0
        ;(this.#sub.bus as unknown as SystemHost).systemEvent('$tidings.queue.overflow', this.#sub.label === undefined ? data : { ...data, label: this.#sub.label })
      })
    this.#lost += lost
    this.#refused += refused
  }

  /** The subscription ends (or shutdown's deadline passed): everything still queued is counted
   *  as dropped (reason 'shutdown'), never silently lost, and waiting publishers are refused.
   *  Returns how many queued events were dropped. */
  discard(): number {
    const left = this.#ring.takeAll()
    for (const e of left) {
      this.#sub.dropped++
      this.#sub.bus.counters.dropped++
      this.#noteDrop(e, 'shutdown')
    }
    for (const b of [...this.#blocked]) {
      this.#blocked.delete(b)
      clearTimeout(b.timer)
      this.refuse(b.event, 'subscription ended')
      b.resolve(false)
    }
    return left.length
  }
}
