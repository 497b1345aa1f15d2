// The store of a queue or inbox with `order: 'priority'` (docs/delivery.md "Priority order"):
// events are handed out by their envelope's `priority` (default 0), higher first, FIFO among
// equals. One FIFO ring per priority level in use, the levels in an array sorted highest first:
// apps use a handful of levels, so a push scans a few entries and, only when a level appears or
// empties, splices (k distinct priorities queued cost O(k) per push). When the queue is full, the
// strategies pick their victim among the lowest level (evictFor). BoundedBuffer keeps its plain
// RingQueue for the default FIFO order.
import { RingQueue } from './bounded-queue.js'
import type { TidingsEvent } from './envelope.js'

/** An event's priority; a missing or non-numeric one (NaN included) counts as 0. */
const rank = (e: TidingsEvent): number => (e.priority! > 0 || e.priority! < 0 ? e.priority! : 0)

export class PriorityQueue {
  size = 0
  /** One [priority, FIFO ring] per level in use, highest priority first. */
  #levels: [number, RingQueue<TidingsEvent>][] = []

  push(event: TidingsEvent): void {
    const p = rank(event)
    const levels = this.#levels
    let i = 0
    while (i < levels.length && levels[i]![0] > p) i++
    if (levels[i]?.[0] !== p) levels.splice(i, 0, [p, new RingQueue()])
    levels[i]![1].push(event)
    this.size++
  }

  /** The oldest event of the highest priority. */
  shift(): TidingsEvent | undefined {
    return this.size === 0 ? undefined : this.#take(0, false)
  }

  /**
   * The queue is full and `event` comes in: removes and returns the event to lose instead, or
   * returns `event` itself when it should be the one lost. `newest` false (drop-oldest): the
   * oldest event of the lowest priority goes, unless `event` ranks below everything queued.
   * `newest` true (drop-newest): `event` goes, unless something queued ranks below it; then the
   * newest event of the lowest priority goes.
   */
  evictFor(event: TidingsEvent, newest: boolean): TidingsEvent {
    const last = this.#levels.length - 1
    const p = rank(event)
    const low = this.#levels[last]?.[0]
    return low === undefined || (newest ? p <= low : p < low) ? event : this.#take(last, newest)
  }

  /** Removes and returns everything, in the order it would have been handed out. */
  takeAll(): TidingsEvent[] {
    const out: TidingsEvent[] = []
    for (const [, ring] of this.#levels) for (const e of ring.takeAll()) out.push(e)
    this.#levels = []
    this.size = 0
    return out
  }

  #take(level: number, newest: boolean): TidingsEvent {
    const ring = this.#levels[level]![1]
    const e = (newest ? ring.pop() : ring.shift())!
    this.size--
    // An emptied level goes, so levels only ever hold priorities in use.
    if (ring.size === 0) this.#levels.splice(level, 1)
    return e
  }
}
