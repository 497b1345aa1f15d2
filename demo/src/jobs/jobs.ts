// Runs a statistics job: publishes job.stats.started, offloads that event to the pool with an
// AbortSignal, and publishes how it ended. Any panel (or another tab's log) can follow a job by
// its id, which is the id of its `started` event.
import { bus } from '../bus.ts'
import type { StatsRequest, StatsResult } from '../events.ts'
import { pool } from './pool.ts'

const controllers = new Map<string, AbortController>()

// Offloading: every started job goes to a pool worker. The signal is what Cancel aborts.
bus.on('job.stats.started').subscribe(async (event) => {
  const controller = new AbortController()
  controllers.set(event.id, controller)
  const t0 = performance.now()
  try {
    const result = await pool.call<StatsResult>('stats', event, { signal: controller.signal })
    bus.publish('job.stats.completed', { jobId: event.id, result, ms: Math.round(performance.now() - t0) }, { causationId: event.id })
  } catch (e) {
    // WorkerCrashedError, TimeoutError, AbortedError...: the name survives the worker boundary.
    const err = e as Error
    bus.publish('job.stats.failed', { jobId: event.id, error: err.name, message: err.message }, { causationId: event.id })
  } finally {
    controllers.delete(event.id)
  }
})

/** Starts a job; returns its id. */
export function startJob(request: StatsRequest): string {
  return bus.publish('job.stats.started', request).id
}

export function cancelJob(jobId: string): void {
  controllers.get(jobId)?.abort(new DOMException('cancelled by the user', 'AbortError'))
}
