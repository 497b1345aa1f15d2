// What aborting a pool call's signal does (PoolCallOptions.signal): the caller is freed at once
// with the signal's reason, whether the call still waits in the queue or already runs in a worker.
import { AbortedError } from '@tidings/core'
import type { Call, Slot } from './pool-slot.js'

/** Aborts `c` (unless it settled): takes it out of `queue`, or tells the worker of `slots` that
 *  runs it, and settles it with the abort's error. */
export function abortCall(c: Call, signal: AbortSignal, queue: Call[], slots: readonly Slot[], settle: (c: Call, error: Error) => void): void {
  if (c.settled) return
  const queued = queue.indexOf(c)
  if (queued >= 0) queue.splice(queued, 1)
  else {
    // Running: tell the worker (ctx.signal there), free the caller now. The worker stays busy
    // until the handler returns or timeoutMs terminates it.
    const slot = slots.find((s) => s.busy === c)
    if (slot) slot.remote.abort(c.id, reasonText(signal)).catch(() => {})
  }
  settle(c, abortError(signal, c.name))
}

/** The error an aborted call of `name` rejects with: the signal's reason when it is an Error of
 *  its own (not an AbortError), else an AbortedError that says which handler. */
export function abortError(signal: AbortSignal, name: string): Error {
  const r: unknown = signal.reason
  if (r instanceof Error && r.name !== 'AbortError') return r
  return new AbortedError(`worker handler "${name}" was aborted${r instanceof Error && r.message ? `: ${r.message}` : ''}`)
}

/** The abort's reason as text, for the worker's ctx.signal. */
function reasonText(signal: AbortSignal): string {
  const r: unknown = signal.reason
  return r instanceof Error ? `${r.name}: ${r.message}` : String(r ?? 'aborted')
}
