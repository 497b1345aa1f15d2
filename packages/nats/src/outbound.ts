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
  /** Removes and returns what waits, in order (a tab that learns that another leads hands its
   *  events over to it: they reached the leader over the tabs bridge). */
  take(): TidingsEvent[]
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
    take() {
      const items = queue.slice(head)
      queue = []
      head = 0
      lastSeq.clear()
      inverted = false
      return items
    },
  }
}

/** Each session's events in seq order, keeping the slots each session occupies. */
function sortPerSession(items: TidingsEvent[], key: (e: TidingsEvent) => string): TidingsEvent[] {
  const sessions = new Map<string, TidingsEvent[]>()
  for (const e of items) {
    const k = key(e)
    const list = sessions.get(k)
    if (list) list.push(e)
    else sessions.set(k, [e])
  }
  // Highest seq first, so each slot of a session takes the lowest one left with pop().
  for (const list of sessions.values()) list.sort((a, b) => b.seq - a.seq)
  return items.map((e) => sessions.get(key(e))!.pop()!)
}
