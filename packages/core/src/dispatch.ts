// dispatch(): publish once, then wait for the final outcome of every handler that accepted the
// event (retries included): one HandlerResult per handler (docs/delivery.md "dispatch").
import type { TidingsEvent } from './envelope.js'
import { byPriority } from './route-index.js'
import { BusClosedError, TimeoutError } from './errors.js'
import { isHandlerKind, type DeliveryTracker, type Settlement, type TrackedSub } from './tracker.js'
import type { DispatchResult, HandlerResult } from './types.js'

/** A tracker the bus keeps while it is open: dispatch()'s or request()'s. */
export interface OpenTracker<T = unknown> extends DeliveryTracker {
  /** The event of the call. */
  readonly event: TidingsEvent
  /** What the dispatch()/request() call returns. */
  readonly promise: Promise<T>
  /** A queued handler expects it: it is looked up by its event after delivery (tracked-calls.ts). */
  late: boolean
  /** Its index in the bus's list of open calls (tracked-calls.ts); -1 before it is listed, -2
   *  once the call ended. */
  slot: number
  /** Delivery is over: from now on the call ends when the last expected handler settles. */
  seal(): void
  /** Ends the call now (bus shutdown, or delivery itself failed). */
  shutdown(busName: string): void
}

/** The bus side a tracker reports its end to. */
export interface TrackerHost {
  untrack(tracker: OpenTracker): void
}

interface Slot {
  sub: TrackedSub
  result: HandlerResult | undefined
}

export class DispatchTracker implements OpenTracker<DispatchResult> {
  // Public fields are `declare`d and set in the constructor (no field definitions to ship);
  // private ones are #fields, whose names minify.
  declare readonly promise: Promise<DispatchResult>
  #resolve!: (r: DispatchResult) => void
  readonly #slots = new Map<string, Slot>()
  #pending = 0
  #sealed = false
  #done = false
  #timer: ReturnType<typeof setTimeout> | undefined
  late = false
  slot = -1

  declare readonly event: TidingsEvent
  readonly #timeoutMs!: number | undefined
  readonly #host!: TrackerHost
  constructor(
    event: TidingsEvent,
    timeoutMs: number | undefined,
    host: TrackerHost,
  ) {
    this.event = event
    this.#timeoutMs = timeoutMs
    this.#host = host
    this.promise = new Promise((resolve) => (this.#resolve = resolve))
  }

  expect(sub: TrackedSub): void {
    if (this.#done || !isHandlerKind(sub.kind) || this.#slots.has(sub.id)) return
    if (sub.queue !== undefined) this.late = true
    this.#slots.set(sub.id, { sub, result: undefined })
    this.#pending++
  }

  settle(sub: TrackedSub, s: Settlement): void {
    if (this.#done || !isHandlerKind(sub.kind)) return
    const slot = this.#slots.get(sub.id)
    if (slot === undefined) this.#slots.set(sub.id, { sub, result: toResult(sub, s) })
    else if (slot.result === undefined) {
      slot.result = toResult(sub, s)
      this.#pending--
    }
    this.#check()
  }

  seal(): void {
    this.#sealed = true
    if (this.#pending !== 0 && this.#timeoutMs !== undefined) {
      const ms = this.#timeoutMs
      this.#timer = setTimeout(() => this.#fillPending(new TimeoutError(`dispatch "${this.event.type}"`, ms), ms), ms)
    }
    this.#check()
  }

  shutdown(busName: string): void {
    this.#fillPending(new BusClosedError(busName, `finish dispatch "${this.event.type}"`), 0)
  }

  /** Handlers that have not finished get `error` as their result. */
  #fillPending(error: Error, durationMs: number): void {
    if (this.#done) return
    for (const slot of this.#slots.values())
      if (slot.result === undefined) slot.result = toResult(slot.sub, { ok: false, error, attempts: 0, durationMs, cause: 'queue' })
    this.#pending = 0
    this.#sealed = true
    this.#check()
  }

  #check(): void {
    if (!this.#sealed || this.#pending !== 0 || this.#done) return
    this.#done = true
    clearTimeout(this.#timer)
    this.#host.untrack(this)
    // In priority order, as the handlers are listed by priority: queued handlers accept the event
    // before the others run (route-index.ts), so the order they were expected in is not it.
    const results = [...this.#slots.values()].sort((a, b) => byPriority(a.sub, b.sub)).map((s) => s.result!)
    this.#resolve({ id: this.event.id, ok: results.every((r) => r.ok), results })
  }
}

function toResult(sub: TrackedSub, s: Settlement): HandlerResult {
  const r: HandlerResult = { subscriptionId: sub.id, ok: s.ok, attempts: s.attempts, durationMs: s.durationMs }
  if (sub.label !== undefined) r.label = sub.label
  if (s.ok) r.value = s.value
  else if (s.error !== undefined) r.error = s.error
  return r
}
