// request(): publish a request event and wait for the first answer from a subscription made with
// reply(). The request is tracked by its envelope for as long as it is pending, and nothing else:
// no reply topic, route or cache entry is created per request, so nothing can outlive it.
import type { TidingsEvent } from './envelope.ts'
import { AbortedError, BusClosedError, NoResponderError, RemoteError, TimeoutError } from './errors.ts'
import type { OpenTracker } from './dispatch.ts'
import type { Settlement, TrackedSub } from './tracker.ts'

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000

interface Deadline {
  readonly deadline: number
  expire(): void
}

/** One timer for all pending requests of a bus, armed for the earliest deadline: a timer per
 *  request (insert + clear per round trip) was a fifth of request/reply's cost. While nothing is
 *  pending the timer is unref'd (Node), so it never keeps a process alive on its own. */
export class Deadlines {
  private readonly entries = new Set<Deadline>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private fireAt = Infinity

  get size(): number {
    return this.entries.size
  }

  add(d: Deadline): void {
    this.entries.add(d)
    if (d.deadline < this.fireAt) this.arm(d.deadline)
    else if (this.entries.size === 1) refTimer(this.timer, true)
  }

  delete(d: Deadline): void {
    if (this.entries.delete(d) && this.entries.size === 0) refTimer(this.timer, false)
  }

  /** Shutdown: no timer stays behind. */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.fireAt = Infinity
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.fireAt = at
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - Date.now()))
    if (this.entries.size === 0) refTimer(this.timer, false)
  }

  private fire(): void {
    this.timer = undefined
    this.fireAt = Infinity
    const now = Date.now()
    let next = Infinity
    for (const d of this.entries) {
      if (d.deadline <= now) {
        this.entries.delete(d)
        d.expire()
      } else if (d.deadline < next) next = d.deadline
    }
    if (next !== Infinity) this.arm(next)
  }
}

function refTimer(timer: ReturnType<typeof setTimeout> | undefined, ref: boolean): void {
  const t = timer as { ref?: () => void; unref?: () => void } | undefined
  if (ref) t?.ref?.()
  else t?.unref?.()
}

export class PendingRequest<R> implements OpenTracker {
  readonly promise: Promise<R>
  private resolve!: (value: R) => void
  private reject!: (error: Error) => void
  private readonly expected = new Set<string>()
  private readonly failed = new Set<string>()
  private firstFailure: Error | undefined
  private sealed = false
  private done = false
  readonly deadline: number
  private readonly onAbort: (() => void) | undefined

  constructor(
    private readonly event: TidingsEvent,
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly deadlines: Deadlines,
    private readonly onDone: () => void,
  ) {
    this.promise = new Promise<R>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.deadline = Date.now() + timeoutMs
    deadlines.add(this)
    if (signal !== undefined) {
      this.onAbort = () => this.fail(new AbortedError(`request "${event.type}" was aborted by its signal`))
      signal.addEventListener('abort', this.onAbort, { once: true })
    }
  }

  expect(sub: TrackedSub): void {
    if (sub.kind === 'reply') this.expected.add(sub.id)
  }

  settle(sub: TrackedSub, s: Settlement): void {
    if (this.done || sub.kind !== 'reply') return
    if (s.ok) {
      this.finish()
      this.resolve(s.value as R)
      return
    }
    this.expected.add(sub.id)
    this.failed.add(sub.id)
    // A responder's own failure travels as RemoteError (name and message survive any context);
    // a queue refusal is reported as itself.
    this.firstFailure ??= s.cause === 'handler' && s.error !== undefined ? new RemoteError(s.error.name, s.error.message, this.event.type) : s.error
    this.check()
  }

  seal(): void {
    this.sealed = true
    this.check()
  }

  /** Called by Deadlines when timeoutMs passed. */
  expire(): void {
    this.fail(new TimeoutError(`request "${this.event.type}"`, this.timeoutMs))
  }

  shutdown(busName: string): void {
    this.fail(new BusClosedError(busName, `wait for a reply to "${this.event.type}"`))
  }

  /** Every responder failed (or none accepted the event): reject with the first failure. */
  private check(): void {
    if (!this.sealed || this.done || this.failed.size < this.expected.size) return
    this.fail(this.firstFailure ?? new NoResponderError(this.event.type))
  }

  private fail(error: Error): void {
    if (this.done) return
    this.finish()
    this.reject(error)
  }

  private finish(): void {
    this.done = true
    this.deadlines.delete(this)
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort)
    this.onDone()
  }
}
