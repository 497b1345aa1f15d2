// request(): publish a request event and wait for the first answer from a subscription made with
// reply(). The request is tracked by its envelope for as long as it is pending, and nothing else:
// no reply topic, route or cache entry is created per request, so nothing can outlive it.
import type { TidingsEvent } from './envelope.js'
import { AbortedError, BusClosedError, NoResponderError, RemoteError, TidingsError, TimeoutError } from './errors.js'
import type { OpenTracker, TrackerHost } from './dispatch.js'
import type { Settlement, TrackedSub } from './tracker.js'

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000

/** Errors a responder hands back as they are, not wrapped in RemoteError: those a bridge makes
 *  for a request it carried to another context (that context went away, or timed out), so the
 *  requester sees the same types as for a local request. */
export const passThrough = new WeakSet<Error>()

/** The context chosen to answer a request went away (its tab closed, its worker stopped or its
 *  bridge closed) before it answered. `type` is the request's type, `responder` names the context. */
export class ResponderGoneError extends TidingsError {
  override name = 'ResponderGoneError'
  declare readonly type: string
  declare readonly responder: string
  constructor(type: string, responder: string, why: string) {
    super(`The responder for request "${type}" (${responder}) went away before answering: ${why}. Retry the request: another context that serves "${type}" answers if there is one.`)
    this.type = type
    this.responder = responder
  }
}

/** One timer for all pending requests of a bus, armed for the earliest deadline: a timer per
 *  request (insert + clear per round trip) was a fifth of request/reply's cost. The pending
 *  requests are not stored again here: on firing it walks the bus's tracker map. While nothing is
 *  pending the timer is unref'd (Node), so it never keeps a process alive on its own. */
export class Deadlines {
  #live = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #fireAt = Infinity

  // #fields, set in the constructor: their names minify.
  readonly #pending!: () => Iterable<unknown>
  constructor(pending: () => Iterable<unknown>) {
    this.#pending = pending
  }

  add(deadline: number): void {
    this.#live++
    if (deadline < this.#fireAt) this.#arm(deadline)
    else if (this.#live === 1) refTimer(this.#timer, true)
  }

  /** Exactly once per add(). */
  delete(): void {
    if (--this.#live === 0) refTimer(this.#timer, false)
  }

  /** Shutdown: no timer stays behind. */
  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#fireAt = Infinity
  }

  #arm(at: number): void {
    clearTimeout(this.#timer)
    this.#fireAt = at
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - Date.now()))
    if (this.#live === 0) refTimer(this.#timer, false)
  }

  #fire(): void {
    this.#timer = undefined
    this.#fireAt = Infinity
    const now = Date.now()
    let next = Infinity
    for (const p of this.#pending()) {
      if (!(p instanceof PendingRequest)) continue
      if (p.deadline <= now) p.expire()
      else if (p.deadline < next) next = p.deadline
    }
    if (next !== Infinity) this.#arm(next)
  }
}

/** The bus side a pending request reports its end to. */
export interface RequestHost extends TrackerHost {
  readonly deadlines: Deadlines
}

function refTimer(timer: ReturnType<typeof setTimeout> | undefined, ref: boolean): void {
  const t = timer as { ref?: () => void; unref?: () => void } | undefined
  if (ref) t?.ref?.()
  else t?.unref?.()
}

export class PendingRequest<R> implements OpenTracker<R> {
  // Public fields are `declare`d and set in the constructor (no field definitions to ship);
  // private ones are #fields, whose names minify.
  declare readonly promise: Promise<R>
  #resolve!: (value: R) => void
  #reject!: (error: Error) => void
  /** Responders that accepted the request: almost always one, so no Set until a second. */
  #expectedOne: string | undefined
  #expectedMore: Set<string> | undefined
  #expectedCount = 0
  #failedIds: Set<string> | undefined
  #firstFailure: Error | undefined
  #sealed = false
  #done = false
  /** The deadline (epoch ms) once armed, else 0 (see `deadline`). */
  #due = 0
  readonly #onAbort: (() => void) | undefined
  #endCtl: AbortController | undefined
  late = false
  slot = -1

  declare readonly event: TidingsEvent
  declare readonly timeoutMs: number
  readonly #signal!: AbortSignal | undefined
  readonly #host!: RequestHost
  constructor(
    event: TidingsEvent,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    host: RequestHost,
  ) {
    this.event = event
    this.timeoutMs = timeoutMs
    this.#signal = signal
    this.#host = host
    this.promise = new Promise<R>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    if (signal !== undefined) {
      this.#onAbort = () => this.#fail(new AbortedError(`request "${event.type}" was aborted by its signal`))
      signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  expect(sub: TrackedSub): void {
    if (sub.kind !== 'reply' || this.#expectedOne === sub.id || this.#expectedMore?.has(sub.id)) return
    if (sub.queue !== undefined) this.late = true
    if (this.#expectedOne === undefined) this.#expectedOne = sub.id
    else (this.#expectedMore ??= new Set()).add(sub.id)
    this.#expectedCount++
  }

  settle(sub: TrackedSub, s: Settlement): void {
    if (this.#done || sub.kind !== 'reply') return
    if (s.ok) {
      this.#finish()
      this.#resolve(s.value as R)
      return
    }
    this.expect(sub)
    ;(this.#failedIds ??= new Set()).add(sub.id)
    // A responder's own failure travels as RemoteError (name and message survive any context);
    // a queue refusal is reported as itself, and so is a responder that declines with
    // NoResponderError (a bridge's forwarding responder that found no one on the other side).
    const declined = s.error instanceof NoResponderError || (s.error !== undefined && passThrough.has(s.error))
    this.#firstFailure ??= s.cause === 'handler' && s.error !== undefined && !declined ? new RemoteError(s.error.name, s.error.message, this.event.type) : s.error
    this.#check()
  }

  seal(): void {
    this.#sealed = true
    this.#check()
    if (!this.#done) void this.deadline
  }

  /** When the request times out (epoch ms). The clock starts on first read: when delivery is over
   *  and no responder answered inside it (seal), or earlier if a bridge reads it while carrying
   *  the request. A request answered inside publish never reads the clock or touches the timer. */
  get deadline(): number {
    if (this.#due === 0 && !this.#done) this.#host.deadlines.add((this.#due = Date.now() + this.timeoutMs))
    return this.#due
  }

  /** Aborts when the request ends, however it ends (answer, failure, timeout, abort, shutdown):
   *  a bridge carrying it elsewhere lets go of its own pending entry then. */
  get ended(): AbortSignal {
    if (this.#endCtl === undefined) {
      this.#endCtl = new AbortController()
      if (this.#done) this.#endCtl.abort()
    }
    return this.#endCtl.signal
  }

  /** Called by Deadlines when timeoutMs passed. */
  expire(): void {
    this.#fail(new TimeoutError(`request "${this.event.type}"`, this.timeoutMs))
  }

  shutdown(busName: string): void {
    this.#fail(new BusClosedError(busName, `wait for a reply to "${this.event.type}"`))
  }

  /** Every responder failed (or none accepted the event): reject with the first failure. */
  #check(): void {
    if (!this.#sealed || this.#done || (this.#failedIds?.size ?? 0) < this.#expectedCount) return
    this.#fail(this.#firstFailure ?? new NoResponderError(this.event.type))
  }

  #fail(error: Error): void {
    if (this.#done) return
    this.#finish()
    this.#reject(error)
  }

  #finish(): void {
    this.#done = true
    this.#endCtl?.abort()
    if (this.#due !== 0) this.#host.deadlines.delete()
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#host.untrack(this)
  }
}
