// request(): publish a request event and wait for the first answer from a subscription made with
// reply(). The request is tracked by its envelope for as long as it is pending, and nothing else:
// no reply topic, route or cache entry is created per request, so nothing can outlive it.
import type { TidingsEvent } from './envelope.ts'
import { AbortedError, BusClosedError, NoResponderError, RemoteError, TimeoutError } from './errors.ts'
import type { OpenTracker } from './dispatch.ts'
import type { Settlement, TrackedSub } from './tracker.ts'

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000

export class PendingRequest<R> implements OpenTracker {
  readonly promise: Promise<R>
  private resolve!: (value: R) => void
  private reject!: (error: Error) => void
  private readonly expected = new Set<string>()
  private readonly failed = new Set<string>()
  private firstFailure: Error | undefined
  private sealed = false
  private done = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly onAbort: (() => void) | undefined

  constructor(
    private readonly event: TidingsEvent,
    timeoutMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly onDone: () => void,
  ) {
    this.promise = new Promise<R>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.timer = setTimeout(() => this.fail(new TimeoutError(`request "${event.type}"`, timeoutMs)), timeoutMs)
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
    if (this.timer !== undefined) clearTimeout(this.timer)
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort)
    this.onDone()
  }
}
