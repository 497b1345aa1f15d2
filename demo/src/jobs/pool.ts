// The page side of the offloaded job: a pool of module workers. Each new worker (first ones and
// replacements after a crash) is also bridged to this tab's bus for its progress events.
import { connectWorker, createWorkerPool } from '@tidings/worker'
import { bus } from '../bus.ts'

export const pool = createWorkerPool(
  () => {
    // `new URL(..., import.meta.url)` is what lets Vite find and bundle the worker.
    const worker = new Worker(new URL('./stats.worker.ts', import.meta.url), { type: 'module', name: 'stats' })
    const bridge = connectWorker(bus, worker, { share: 'job.stats.progress' })
    // The pool terminates a crashed or hung worker and asks for a new one: close its bridge with
    // it, so replaced workers leave no bridge subscribed to the bus behind.
    const terminate = worker.terminate.bind(worker)
    worker.terminate = () => {
      bridge.close()
      terminate()
    }
    return worker
  },
  // The demo's crash button replaces a worker each time: allow plenty of restarts.
  { size: 2, timeoutMs: 60_000, maxRestarts: 1000, name: 'stats' },
)
