// The outbound queue of the NATS bridge: events wait here for one microtask while connected (so a
// burst goes out in one go, each session in seq order), and for as long as it takes while not,
// bounded by `max` with the bus's drop strategies. Every drop is reported to the bridge, which
// counts it and fails the event's JetStream ack, so a publishAsync never waits for nothing.
import type { TidingsEvent } from '@tidings/core'

export interface OutboundHooks {
  canSend(): boolean
  /** Sends a flush, in order. */
  send(events: TidingsEvent[]): void
  /** The session key of `e` (origin + incarnation). */
  session(e: TidingsEvent): string
  dropped(e: TidingsEvent): void
}

export class OutboundQueue {
  /** Events from `head` on wait to be sent. */
  private queue: TidingsEvent[] = []
  private head = 0
  private scheduled = false
  /** A handler published from inside publish: its event reached us before its cause. */
  private inverted = false
  private readonly lastSeq = new Map<string, number>()
  private readonly max: number
  private readonly dropOldest: boolean
  private readonly hooks: OutboundHooks

  constructor(max: number, overflow: 'drop-oldest' | 'drop-newest', hooks: OutboundHooks) {
    this.max = max
    this.dropOldest = overflow === 'drop-oldest'
    this.hooks = hooks
  }

  get size(): number {
    return this.queue.length - this.head
  }

  push(e: TidingsEvent): void {
    const key = this.hooks.session(e)
    const last = this.lastSeq.get(key)
    if (last !== undefined && e.seq < last) this.inverted = true
    else this.lastSeq.set(key, e.seq)
    const connected = this.hooks.canSend()
    if (!connected && this.size >= this.max) {
      if (!this.dropOldest) return this.hooks.dropped(e)
      const old = this.queue[this.head]!
      this.queue[this.head++] = undefined as unknown as TidingsEvent
      this.hooks.dropped(old)
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
    }
    this.queue.push(e)
    if (!this.scheduled && connected) {
      this.scheduled = true
      queueMicrotask(() => this.drain())
    }
  }

  /** Sends what waits, in order, while connected. */
  drain(): void {
    this.scheduled = false
    if (!this.hooks.canSend() || this.size === 0) return
    let items = this.head === 0 ? this.queue : this.queue.slice(this.head)
    this.queue = []
    this.head = 0
    this.lastSeq.clear()
    if (this.inverted) {
      this.inverted = false
      items = sortPerSession(items, this.hooks.session)
    }
    // Synchronous: the connection's status cannot change before this returns.
    this.hooks.send(items)
  }

  clear(): void {
    this.queue = []
    this.head = 0
  }
}

/** Each session's events in seq order, keeping the slots each session occupies. */
function sortPerSession(items: TidingsEvent[], key: (e: TidingsEvent) => string): TidingsEvent[] {
  const slots = new Map<string, number[]>()
  items.forEach((e, i) => {
    const k = key(e)
    const list = slots.get(k)
    if (list) list.push(i)
    else slots.set(k, [i])
  })
  const out = items.slice()
  for (const idx of slots.values()) {
    const sorted = idx.map((i) => items[i]!).sort((a, b) => a.seq - b.seq)
    idx.forEach((slot, k) => (out[slot] = sorted[k]!))
  }
  return out
}
