// The sending half of the event pipe, shared by every bridge: events are collected and sent as
// batches, each session's events in seq order, each with `prev` for the receiver's gap check.
//
// A batch ends at `maxBatch` events or at `maxBatchBytes` estimated bytes (size.ts guesses them
// without serializing, when a batch is cut: not inside publish), whichever comes first; an event
// larger than the bound goes alone. A burst starting from rest ramps up from a 64 KB batch, so
// the receiver starts on a short clone.
// Small events go at the end of the microtask (or at once when `maxBatch` are waiting, which
// bounds memory in a long synchronous burst). Posting is where the transport serializes, so a
// burst of large events is spread over tasks: after 8 ms of posting (or 8 byte bounds' worth of
// cheap-to-copy data), or before a batch that would take the task past 50 ms at the cost per
// byte posting has shown lately, the rest waits for the next task, and events published meanwhile
// queue behind it, so order per session holds. A batch the transport cannot send (one event holds a
// function, a DOM node, a throwing getter) is split in halves until the bad events stand alone,
// each reported on its own: one bad event never sinks its neighbours, and the good ones are
// serialized once (no walk or clone of every event beforehand).
import type { TidingsEvent } from '../envelope.js'
import { encodeBatch, type EventBatch, type Outgoing } from './codec.js'
import { PrevTable } from './sessions.js'
import { estimateEventBytes } from './size.js'
import { describeError } from './wire.js'

/** Default byte bound of one batch: 1 MiB (estimated). */
export const DEFAULT_MAX_BATCH_BYTES = 1 << 20
/** Posting goes on in one task for at most about this long before it yields (ms)... */
const TASK_BUDGET_MS = 8
/** ...or until this many byte bounds' worth is posted (cheap-to-copy data, e.g. long strings). */
const TASK_BATCHES_OF_BYTES = 8
/** Batches of at least this many estimated bytes teach the outbox what posting costs (ms/byte). */
const LEARN_BYTES = 64 * 1024
/** A large batch whose post, at that cost, would take the task past this (ms) waits for a task of
 *  its own: the long-task threshold. (Judging by the 8 ms budget instead yielded twice as often
 *  for 10 KB events: 0.78-0.84x plain postMessage against 1.17-1.35x, A/B runs at load 4-9.) */
const LONG_TASK_MS = 50
/** A drain that starts from rest sends its first byte-bounded batch at most this large, the next
 *  ones 4x larger up to the bound: the receiver starts on a short clone instead of waiting for a
 *  full 1 MiB one (~4 ms of 10 KB objects), which gated every event behind it. */
const FIRST_BATCH_BYTES = 64 * 1024

export interface OutboxOptions {
  /** Most events per batch; a larger burst is split. */
  maxBatch: number
  /** Most estimated bytes per batch (an event larger than this goes alone). Default 1 MiB. */
  maxBatchBytes?: number | undefined
  /** Posts one batch; throws when the transport cannot send it (e.g. DataCloneError). */
  post(batch: EventBatch, events: readonly TidingsEvent[]): void
  /** An event that could not be sent, with the reason. */
  unsendable(event: TidingsEvent, reason: string): void
  /** Names why one event alone could not be sent (e.g. the path of the bad value); runs only
   *  for an event that failed on its own. Default: what the transport threw. */
  check?: ((event: TidingsEvent) => string | undefined) | undefined
}

interface Queued extends Outgoing {
  /** Estimated bytes, or -1 until a batch is cut through it (see sizeOf). */
  bytes: number
}

type Later = (fn: () => void) => void

/** Runs `fn` in a later task: scheduler.postTask where there is one; else a MessageChannel
 *  message, which is a task without the 4 ms clamp browsers put on nested zero-delay timers (a
 *  burst yields many times in a row); setTimeout only where neither exists. */
const later: Later = (() => {
  const s = (globalThis as { scheduler?: { postTask?: (fn: () => void, o?: object) => Promise<unknown> } }).scheduler
  if (typeof s?.postTask === 'function') return (fn) => void s.postTask!(fn).catch(() => {})
  if (typeof MessageChannel === 'function')
    return (fn) => {
      const ch = new MessageChannel()
      ch.port1.addEventListener('message', () => {
        ch.port1.close() // nothing left open (Node would stay alive for an open port)
        fn()
      })
      ch.port1.start()
      ch.port2.postMessage(null)
    }
  return (fn) => void setTimeout(fn, 0)
})()

const clock: () => number = typeof performance === 'object' ? () => performance.now() : () => Date.now()

export class Outbox {
  #pending: Queued[] = []
  /** Estimated bytes of pending[0 .. sized) (the rest is estimated when a batch is cut). */
  #pendingBytes = 0
  #sized = 0
  /** Highest seq per session in `pending`, to notice a re-entrant publish (see flush). */
  readonly #pendingHigh = new Map<string, number>()
  #inverted = false
  #scheduled = false
  /** Sorted events a yield left for the next task; `backlog[at]` goes next. */
  #backlog: Queued[] = []
  #at = 0
  /** Bumped by take(): a continuation of an older backlog does nothing. */
  #epoch = 0
  #continuing = false
  readonly #prev = new PrevTable()
  readonly #opts: OutboxOptions
  readonly #maxBytes: number
  /** What posting cost lately, ms per estimated byte (0 until a large batch was posted). */
  #msPerByte = 0

  constructor(opts: OutboxOptions) {
    this.#opts = opts
    this.#maxBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES
  }

  /** Events waiting (queued now, or left for a later task). */
  get size(): number {
    return this.#pending.length + this.#backlog.length - this.#at
  }

  /** Queues `event` of session (event.origin, incarnation). Never sends from inside publish,
   *  except a full batch of small events: a handler that publishes re-entrantly must land in the
   *  same flush as its cause. */
  push(event: TidingsEvent, incarnation: string): void {
    // Sized later, when a batch is cut through it: estimating inside the publish loop delayed the
    // first post of a burst by the whole burst's estimates (~2 µs per 10 KB event), while the
    // receiver, the slower side, waited.
    this.#pending.push({ event, incarnation, prev: 0, bytes: -1 })
    const key = event.origin + '\u0000' + incarnation
    const high = this.#pendingHigh.get(key)
    if (high === undefined || event.seq > high) this.#pendingHigh.set(key, event.seq)
    else this.#inverted = true
    // A full batch of small events goes now (memory stays bounded in a long loop); large ones
    // wait for the microtask, so their serializing never piles up inside the app's task.
    if (this.#pending.length >= this.#opts.maxBatch && !this.#continuing && this.#pendingUnder()) this.flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(() => {
        if (this.#scheduled) this.flush()
      })
    }
  }

  /** Whether the pending events' estimate is under the byte bound (estimating only as far as it
   *  takes to find out; pendingBytes only grows until the next flush). */
  #pendingUnder(): boolean {
    const p = this.#pending
    while (this.#sized < p.length && this.#pendingBytes < this.#maxBytes) this.#pendingBytes += sizeOf(p[this.#sized++]!)
    return this.#pendingBytes < this.#maxBytes
  }

  /** Drops what is waiting (queued and left for later); returns it in send order. */
  take(): Outgoing[] {
    const left = this.#at === 0 ? this.#backlog : this.#backlog.slice(this.#at)
    const items = left.length === 0 ? this.#pending : left.concat(this.#pending)
    this.#backlog = []
    this.#at = 0
    this.#epoch++
    this.#continuing = false
    this.#pending = []
    this.#pendingBytes = 0
    this.#sized = 0
    this.#pendingHigh.clear()
    this.#inverted = false
    this.#scheduled = false
    return items
  }

  /** Sends what is waiting. By default it yields to the next task after 8 ms of posting (or
   *  8 x `maxBatchBytes`); `all` sends everything now (close, an explicit flush). */
  flush(all = false): void {
    this.#enqueue()
    // A continuation is already due: it sends these in their turn.
    if (this.#continuing && !all) return
    this.#drain(all, false)
  }

  /** Moves what was pushed to the end of the backlog. */
  #enqueue(): void {
    this.#scheduled = false
    if (this.#pending.length !== 0) {
      const inverted = this.#inverted
      const items = this.#pending
      this.#pending = []
      this.#pendingBytes = 0
      this.#sized = 0
      this.#pendingHigh.clear()
      this.#inverted = false
      // A handler that publishes from inside publish gives its event a higher seq but hands it
      // to the bridge first. Receivers judge gaps by seq, so put each session back in seq order.
      if (inverted) sortPerSession(items)
      if (this.#at === this.#backlog.length) {
        this.#backlog = items
        this.#at = 0
      } else for (const it of items) this.#backlog.push(it)
    }
  }

  /** Posts batches from the backlog; `resumed`: a continuation after a yield. */
  #drain(all: boolean, resumed: boolean): void {
    const max = this.#opts.maxBatch
    const maxBytes = this.#maxBytes
    const start = all ? 0 : clock()
    // Starting from rest, a batch that the byte bound ends is cut shorter, at `ramp` bytes, and
    // `ramp` grows 4x per batch: the receiver starts on a short clone (see FIRST_BATCH_BYTES).
    // Batches the count bound ends (small events) are never cut.
    let ramp = all || resumed ? maxBytes : FIRST_BATCH_BYTES
    let posted = 0
    const q = this.#backlog
    while (this.#at < q.length) {
      const from = this.#at
      let end = from
      let bytes = 0
      let rampEnd = -1
      let rampBytes = 0
      while (end < q.length && end - from < max) {
        const b = sizeOf(q[end]!)
        if (end > from && bytes + b > maxBytes) break
        if (rampEnd < 0 && end > from && bytes + b > ramp) {
          rampEnd = end
          rampBytes = bytes
        }
        bytes += b
        end++
      }
      if (rampEnd >= 0 && end < q.length && end - from < max) {
        end = rampEnd
        bytes = rampBytes
      }
      if (ramp < maxBytes) ramp *= 4
      // A large batch that would make this task a long one (judged by what large posts cost
      // lately) waits for the next task, unless it is the task's first: a slow clone then gets a
      // task of its own instead of lengthening one that already posted. Small batches never
      // learn the cost, so they are never held back by a stale one.
      if (!all && posted > 0 && bytes >= LEARN_BYTES && clock() - start + bytes * this.#msPerByte > LONG_TASK_MS) {
        this.#yieldTask()
        return
      }
      const chunk = from === 0 && end === q.length ? q : q.slice(from, end)
      this.#at = end
      for (const it of chunk) it.prev = this.#prev.next(it.event.origin, it.incarnation, it.event.seq)
      const t0 = all ? 0 : clock()
      this.#send(chunk)
      if (this.#backlog !== q) return // take() ran from inside a post (the bridge closed or went down)
      posted += bytes
      if (!all) {
        const now = clock()
        // Learn the cost of posting from large batches only (small ones are below the clock's
        // resolution); the last ones weigh most, so a change of payload is followed quickly.
        if (bytes >= LEARN_BYTES) this.#msPerByte = this.#msPerByte === 0 ? (now - t0) / bytes : (this.#msPerByte + (now - t0) / bytes) / 2
        if (this.#at < q.length && (posted >= maxBytes * TASK_BATCHES_OF_BYTES || now - start >= TASK_BUDGET_MS)) {
          this.#yieldTask()
          return
        }
      }
    }
    this.#backlog = []
    this.#at = 0
    this.#continuing = false
  }

  /** Leaves the rest of the backlog for the next task (events published meanwhile queue behind it). */
  #yieldTask(): void {
    this.#continuing = true
    const epoch = this.#epoch
    later(() => {
      if (this.#epoch !== epoch || !this.#continuing) return
      this.#continuing = false
      this.#enqueue()
      this.#drain(false, true)
    })
  }

  #send(items: Queued[]): void {
    try {
      this.#opts.post(encodeBatch(items), items.map((it) => it.event))
      return
    } catch (err) {
      if (items.length === 1) {
        const e = items[0]!.event
        let reason: string | undefined
        try {
          reason = this.#opts.check?.(e)
        } catch {
          // the namer failed too: the transport's reason stands
        }
        this.#opts.unsendable(e, reason ?? describeError(err))
        return
      }
    }
    // Split in halves: the halves without a bad event go through, each serialized once more at
    // most log2(n) times in all; a closed or refusing transport ends with each event alone.
    const mid = items.length >>> 1
    this.#send(items.slice(0, mid))
    this.#send(items.slice(mid))
  }
}

/** The item's estimated bytes, computed once. */
function sizeOf(it: Queued): number {
  return it.bytes < 0 ? (it.bytes = estimateEventBytes(it.event)) : it.bytes
}

/** Sorts each session's items by seq, keeping the slots each session occupies in the list. */
function sortPerSession(items: Queued[]): void {
  const slots = new Map<string, number[]>()
  items.forEach((it, i) => {
    const key = it.event.origin + '\u0000' + it.incarnation
    const list = slots.get(key)
    if (list) list.push(i)
    else slots.set(key, [i])
  })
  for (const idx of slots.values()) {
    const sorted = idx.map((i) => items[i]!).sort((a, b) => a.event.seq - b.event.seq)
    idx.forEach((slot, k) => (items[slot] = sorted[k]!))
  }
}
