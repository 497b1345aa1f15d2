// The pool worker. registerHandlers() exposes named handlers to the page's pool; workerBus() joins
// this worker's bus to the page's, which is how progress reaches the page while the job runs.
import { registerHandlers, workerBus } from '@tidings/worker'
import type { DemoEvents, StatsRequest } from '../events.ts'
import { CHUNK, StatsAccumulator, item, random } from './stats.ts'

const bus = workerBus<DemoEvents>({ share: 'job.stats.progress' })

// Lets queued messages in (the page's abort arrives as one) between chunks.
const breathe = () => new Promise<void>((r) => setTimeout(r, 0))

registerHandlers({
  async stats(event, ctx) {
    const { items, seed, crash } = event.data as StatsRequest
    const jobId = event.id
    const next = random(seed)
    const acc = new StatsAccumulator()
    for (let done = 0; done < items; ) {
      // ctx.signal aborts when the page aborts the call (the Cancel button).
      ctx.signal.throwIfAborted()
      const end = Math.min(items, done + CHUNK)
      for (; done < end; done++) acc.add(item(next))
      bus.publish('job.stats.progress', { jobId, done, total: items })
      if (crash && done >= items / 2) {
        // An uncaught error outside the handler kills the worker: the pool sees the crash,
        // respawns a worker and fails this call with WorkerCrashedError.
        setTimeout(() => {
          throw new Error('simulated crash half way through the job')
        })
      }
      await breathe()
    }
    return acc.result()
  },
})
