// The demo's event map: one place that names every topic and types its data. `createBus<DemoEvents>`
// makes publish/on/subscribe check these at compile time.

export interface Task {
  id: string
  title: string
  done: boolean
  /** Origin id of the tab that last changed it (shown as "by tab …"). */
  by: string
  updatedAt: number
}

export interface StatsRequest {
  /** How many pseudo-random items the worker generates and summarizes. */
  items: number
  seed: number
  /** Test hook of the demo: the worker crashes half way (to show WorkerCrashedError). */
  crash?: boolean
}

export interface StatsResult {
  count: number
  mean: number
  min: number
  max: number
  stddev: number
  /** 10 buckets over [min, max]. */
  histogram: number[]
}

export type DemoEvents = {
  // Activity on the board: shared with the other tabs and recorded in history.
  'task.created': { task: Task }
  'task.updated': { task: Task; changed: Array<'title' | 'done'> }
  'task.deleted': { id: string; title: string }
  // The worker job, identified by the id of its `started` event. Progress is published by the
  // worker itself, through the worker bridge.
  'job.stats.started': StatsRequest
  'job.stats.progress': { jobId: string; done: number; total: number }
  'job.stats.completed': { jobId: string; result: StatsResult; ms: number }
  'job.stats.failed': { jobId: string; error: string; message: string }
  // The overflow demo: a burst of ticks into a slow consumer.
  'load.tick': { n: number }
}
