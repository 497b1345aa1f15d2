// A pull subscription (receive / receiveBatch, docs/delivery.md "Inboxes"): matching events wait in a
// BoundedBuffer until the app asks for them. A pending receive() takes the next event straight
// from publish, without queueing it.
import { BoundedBuffer } from './bounded-buffer.js'
import { RingQueue } from './bounded-queue.js'
import { checkDuration, checkPositiveInt } from './delivery-options.js'
import type { TidingsEvent } from './envelope.js'
import * as Outcome from './outcome.js'
import { BaseSubscription, type BusInternals, type PatternSet } from './subscription.js'
import type { Inbox, InboxOptions } from './types.js'

/** A receive() or receiveBatch() call waiting for events. */
interface Waiter {
  /** Takes one event; returns true when the waiter is satisfied. */
  take(event: TidingsEvent): boolean
  /** Ends the wait with what it has (timeout or close). */
  finish(): void
}

export class InboxSubscription extends BaseSubscription implements Inbox<TidingsEvent> {
  readonly kind = 'inbox' as const
  declare queue: BoundedBuffer
  readonly #waiters = new RingQueue<Waiter>()

  constructor(bus: BusInternals, patterns: PatternSet, opts: InboxOptions & { key?: string | undefined; label?: string | undefined } = {}) {
    super(bus, patterns, opts)
    this.queue = new BoundedBuffer(this, opts, 'inbox')
  }

  get closed(): boolean {
    return !this.active
  }

  // An inbox has no `once` or filter: it takes every event until it closes.
  deliver(event: TidingsEvent): Outcome.Code {
    if (!this.active) return Outcome.Skipped
    this.received++
    const w = this.#waiters.peek()
    if (w === undefined) return this.queue.offer(event)
    this.handled++
    if (w.take(event)) this.#waiters.shift()
    return Outcome.Queued
  }

  receive(opts: { timeoutMs?: number } = {}): Promise<TidingsEvent | undefined> {
    // The timeout only matters (and is only checked) when nothing is queued.
    const timeoutMs = this.queue.depth !== 0 || opts.timeoutMs === undefined ? undefined : checkDuration(opts.timeoutMs, 'receive timeoutMs')
    return this.#collect(1, timeoutMs, (got) => got[0])
  }

  /** Resolves with `max` events, or with what arrived by `timeoutMs` (0 polls; without a
   *  timeout it waits until `max` arrived or the inbox closes). */
  receiveBatch(opts: { max: number; timeoutMs?: number }): Promise<TidingsEvent[]> {
    const max = checkPositiveInt(opts?.max, 'receiveBatch max')
    const timeoutMs = opts.timeoutMs === undefined ? undefined : checkDuration(opts.timeoutMs, 'receiveBatch timeoutMs')
    return this.#collect(max, timeoutMs, (got) => got)
  }

  /** Takes up to `max` queued events; unless that is all of them, waits for more from publish
   *  until `timeoutMs` passes or the inbox closes. */
  #collect<R>(max: number, timeoutMs: number | undefined, result: (got: TidingsEvent[]) => R): Promise<R> {
    const got: TidingsEvent[] = []
    while (got.length < max) {
      const e = this.queue.shift()
      if (e === undefined) break
      got.push(e)
    }
    if (got.length) {
      this.handled += got.length
      // A shutdown waiting for readers to empty the inbox may be done now.
      this.settled()
    }
    if (got.length === max || timeoutMs === 0 || !this.active) return Promise.resolve(result(got))
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const w: Waiter = {
        take: (e) => {
          got.push(e)
          if (got.length < max) return false
          clearTimeout(timer)
          resolve(result(got))
          return true
        },
        finish: () => {
          clearTimeout(timer)
          resolve(result(got))
        },
      }
      if (timeoutMs !== undefined) timer = setTimeout(() => this.#expire(w), timeoutMs)
      this.#waiters.push(w)
    })
  }

  /** A waiter timed out: take it out of line and let it resolve with what it has. */
  #expire(w: Waiter): void {
    const rest = this.#waiters.takeAll().filter((x) => x !== w)
    for (const x of rest) this.#waiters.push(x)
    w.finish()
  }

  /** Events until the inbox closes. Leaving a for-await loop (break, throw) closes the inbox: the
   *  loop owned it. */
  async *[Symbol.asyncIterator](): AsyncGenerator<TidingsEvent, void, undefined> {
    try {
      for (let e; (e = await this.receive()) !== undefined; ) yield e
    } finally {
      this.close()
    }
  }

  close(): void {
    this.unsubscribe()
  }

  protected override onClose(): void {
    // Waiting receivers end; events already queued can still be received.
    for (const w of this.#waiters.takeAll()) w.finish()
  }
}
