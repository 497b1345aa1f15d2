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

export interface OutboundQueue {
  /** Events waiting to be sent. */
  readonly size: number
  push(e: TidingsEvent): void
  /** Sends what waits, in order, while connected. */
  drain(): void
}

// A closure, not a class: its state is locals, which minify.
export function outboundQueue(max: number, overflow: 'drop-oldest' | 'drop-newest', hooks: OutboundHooks): OutboundQueue {
  /** Events from `head` on wait to be sent. */
  let queue: TidingsEvent[] = []
  let head = 0
  let scheduled = false
  /** A handler published from inside publish: its event reached us before its cause. */
  let inverted = false
  const lastSeq = new Map<string, number>()
  const dropOldest = overflow === 'drop-oldest'

  const drain = (): void => {
    scheduled = false
    if (!hooks.canSend() || queue.length === head) return
    let items = head === 0 ? queue : queue.slice(head)
    queue = []
    head = 0
    lastSeq.clear()
    if (inverted) {
      inverted = false
      items = sortPerSession(items, hooks.session)
    }
    // Synchronous: the connection's status cannot change before this returns.
    hooks.send(items)
  }

  return {
    get size() {
      return queue.length - head
    },
    push(e) {
      const key = hooks.session(e)
      const last = lastSeq.get(key)
      if (last !== undefined && e.seq < last) inverted = true
      else lastSeq.set(key, e.seq)
      const connected = hooks.canSend()
      if (!connected && queue.length - head >= max) {
        if (!dropOldest) return hooks.dropped(e)
        const old = queue[head]!
        queue[head++] = undefined as unknown as TidingsEvent
        hooks.dropped(old)
        if (head > 1024 && head * 2 > queue.length) {
          queue = queue.slice(head)
          head = 0
        }
      }
      queue.push(e)
      if (!scheduled && connected) {
        scheduled = true
        queueMicrotask(drain)
      }
    },
    drain,
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
