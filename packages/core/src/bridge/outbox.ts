// The sending half of the event pipe, shared by every bridge: events are collected and sent as
// one batch per microtask (or at once when `maxBatch` are waiting), each session's events in seq
// order, each with `prev` for the receiver's gap check. A batch the transport cannot send (one
// event holds a function, a DOM node, a throwing getter) is split so that only the bad events
// stay behind, each reported on its own: one bad event never sinks its neighbours.
import type { TidingsEvent } from '../envelope.js'
import { encodeBatch, type EventBatch, type Outgoing } from './codec.js'
import { PrevTable } from './sessions.js'
import { describeError } from './wire.js'

export interface OutboxOptions {
  /** Most events per batch; a larger burst is split. */
  maxBatch: number
  /** Posts one batch; throws when the transport cannot send it (e.g. DataCloneError). */
  post(batch: EventBatch, events: readonly TidingsEvent[]): void
  /** An event that could not be sent, with the reason. */
  unsendable(event: TidingsEvent, reason: string): void
  /** When a batch fails, finds the events the transport cannot carry: the reason, or undefined
   *  for an event that can go. Default: a structured clone of the event. */
  check?: ((event: TidingsEvent) => string | undefined) | undefined
}

function cloneCheck(event: TidingsEvent): string | undefined {
  try {
    structuredClone(event)
    return undefined
  } catch (err) {
    return describeError(err)
  }
}

export class Outbox {
  private pending: Outgoing[] = []
  /** Highest seq per session in `pending`, to notice a re-entrant publish (see flush). */
  private readonly pendingHigh = new Map<string, number>()
  private inverted = false
  private scheduled = false
  private readonly prev = new PrevTable()
  private readonly opts: OutboxOptions

  constructor(opts: OutboxOptions) {
    this.opts = opts
  }

  get size(): number {
    return this.pending.length
  }

  /** Queues `event` of session (event.origin, incarnation). Never sends from inside publish: a
   *  handler that publishes re-entrantly must land in the same flush as its cause. */
  push(event: TidingsEvent, incarnation: string): void {
    this.pending.push({ event, incarnation, prev: 0 })
    const key = event.origin + '\u0000' + incarnation
    const high = this.pendingHigh.get(key)
    if (high === undefined || event.seq > high) this.pendingHigh.set(key, event.seq)
    else this.inverted = true
    if (this.pending.length >= this.opts.maxBatch) this.flush()
    else if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => {
        if (this.scheduled) this.flush()
      })
    }
  }

  /** Drops what is waiting; returns it. */
  take(): Outgoing[] {
    const items = this.pending
    this.pending = []
    this.pendingHigh.clear()
    this.inverted = false
    this.scheduled = false
    return items
  }

  /** Sends everything waiting now. */
  flush(): void {
    this.scheduled = false
    if (this.pending.length === 0) return
    const inverted = this.inverted
    const items = this.take()
    // A handler that publishes from inside publish gives its event a higher seq but hands it to
    // the bridge first. Receivers judge gaps by seq, so put each session back in seq order.
    if (inverted) sortPerSession(items)
    const max = this.opts.maxBatch
    for (let start = 0; start < items.length; start += max) {
      const chunk = items.length <= max ? items : items.slice(start, start + max)
      for (const it of chunk) it.prev = this.prev.next(it.event.origin, it.incarnation, it.event.seq)
      this.send(chunk)
    }
  }

  private send(items: Outgoing[]): void {
    const events = items.map((it) => it.event)
    let batch: EventBatch
    try {
      batch = encodeBatch(items)
      this.opts.post(batch, events)
      return
    } catch (err) {
      if (items.length === 1) {
        this.opts.unsendable(items[0]!.event, describeError(err))
        return
      }
    }
    // Find the events the transport cannot carry, one check each (the slow path only).
    const check = this.opts.check ?? cloneCheck
    const keep: Outgoing[] = []
    for (const it of items) {
      const reason = check(it.event)
      if (reason === undefined) keep.push(it)
      else this.opts.unsendable(it.event, reason)
    }
    if (keep.length === items.length) {
      // Every event clones alone, yet the batch failed (the transport is closed, or too big):
      // send them one by one so each succeeds or fails on its own.
      for (const it of keep) this.send([it])
      return
    }
    if (keep.length > 0) this.send(keep)
  }
}

/** Sorts each session's items by seq, keeping the slots each session occupies in the list. */
function sortPerSession(items: Outgoing[]): void {
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
