// The store of a queue or inbox with `order: 'priority'` (docs/delivery.md "Priority order"):
// events are handed out by their envelope's `priority` (default 0), higher first, FIFO among
// equals. One FIFO ring per priority level in use, and the levels in a short sorted array: apps use
// a handful of levels, so a push or shift costs a Map lookup plus, only when a level appears or
// empties, a splice. When the queue is full, the strategies pick their victim among the lowest
// level (evictFor). BoundedBuffer keeps its plain RingQueue for the default FIFO order.
import { RingQueue } from './bounded-queue.js'
import type { TidingsEvent } from './envelope.js'

/** An event's priority; a missing or non-numeric one (NaN included) counts as 0. */
const rank = (e: TidingsEvent): number => (e.priority! > 0 || e.priority! < 0 ? e.priority! : 0)

export class PriorityQueue {
  size = 0
  private readonly buckets = new Map<number, RingQueue<TidingsEvent>>()
  /** The levels holding events, highest first. */
  private levels: number[] = []

  push(event: TidingsEvent): void {
    const p = rank(event)
    let bucket = this.buckets.get(p)
    if (bucket === undefined) {
      this.buckets.set(p, (bucket = new RingQueue()))
      let i = 0
      while (i < this.levels.length && this.levels[i]! > p) i++
      this.levels.splice(i, 0, p)
    }
    bucket.push(event)
    this.size++
  }

  /** The oldest event of the highest priority. */
  shift(): TidingsEvent | undefined {
    return this.size === 0 ? undefined : this.take(0, false)
  }

  /**
   * The queue is full and `event` comes in: removes and returns the event to lose instead, or
   * returns `event` itself when it should be the one lost. `newest` false (drop-oldest): the
   * oldest event of the lowest priority goes, unless `event` ranks below everything queued.
   * `newest` true (drop-newest): `event` goes, unless something queued ranks below it; then the
   * newest event of the lowest priority goes.
   */
  evictFor(event: TidingsEvent, newest: boolean): TidingsEvent {
    const last = this.levels.length - 1
    if (last < 0) return event
    const p = rank(event)
    const low = this.levels[last]!
    if (newest ? p <= low : p < low) return event
    return this.take(last, newest)
  }

  /** Removes and returns everything, in the order it would have been handed out. */
  takeAll(): TidingsEvent[] {
    const out: TidingsEvent[] = []
    for (const p of this.levels) for (const e of this.buckets.get(p)!.takeAll()) out.push(e)
    this.buckets.clear()
    this.levels = []
    this.size = 0
    return out
  }

  private take(level: number, newest: boolean): TidingsEvent {
    const p = this.levels[level]!
    const bucket = this.buckets.get(p)!
    const e = (newest ? bucket.pop() : bucket.shift())!
    this.size--
    if (bucket.size === 0) {
      // An emptied level goes, so levels only ever hold priorities in use.
      this.buckets.delete(p)
      this.levels.splice(level, 1)
    }
    return e
  }
}
