// The worker job panel: start, cancel or crash a statistics job and follow it through its events.
// The UI state is derived only from job.stats.* events, so it would look the same in any tab or
// tool that listens to them.
import { useState } from 'preact/hooks'
import type { StatsResult } from '../events.ts'
import { useEvent } from '../hooks/tidings.ts'
import { cancelJob, startJob } from './jobs.ts'

const ITEMS = 200_000

type JobView =
  | { state: 'running'; id: string; done: number; total: number }
  | { state: 'completed'; id: string; result: StatsResult; ms: number }
  | { state: 'failed'; id: string; error: string; message: string }

export function JobPanel() {
  const [job, setJob] = useState<JobView | null>(null)

  useEvent('job.stats.*', (e) => {
    switch (e.type) {
      case 'job.stats.started':
        return setJob({ state: 'running', id: e.id, done: 0, total: e.data.items })
      case 'job.stats.progress':
        return setJob((j) => (j?.id === e.data.jobId && j.state === 'running' ? { ...j, done: e.data.done } : j))
      case 'job.stats.completed':
        return setJob((j) => (j?.id === e.data.jobId ? { state: 'completed', id: j.id, result: e.data.result, ms: e.data.ms } : j))
      case 'job.stats.failed':
        return setJob((j) => (j?.id === e.data.jobId ? { state: 'failed', id: j.id, error: e.data.error, message: e.data.message } : j))
    }
  })

  const running = job?.state === 'running'
  const start = (crash: boolean) => startJob({ items: ITEMS, seed: 42, crash })
  return (
    <section class="panel" data-testid="job-panel">
      <h2>Worker job</h2>
      <p class="muted">Statistics over {ITEMS.toLocaleString('en')} generated items, in a pool of 2 module workers.</p>
      <div class="row">
        <button data-testid="job-start" disabled={running} onClick={() => start(false)}>Run job</button>
        <button data-testid="job-cancel" disabled={!running} onClick={() => job && cancelJob(job.id)}>Cancel</button>
        <button data-testid="job-crash" disabled={running} onClick={() => start(true)} title="the worker throws an uncaught error half way">
          Run and crash
        </button>
      </div>
      {job && <JobStatus job={job} />}
    </section>
  )
}


function JobStatus({ job }: { job: JobView }) {
  if (job.state === 'running')
    return (
      <div data-testid="job-status" data-state="running">
        <progress data-testid="job-progress" max={job.total} value={job.done} /> {Math.round((job.done / job.total) * 100)}%
      </div>
    )
  if (job.state === 'failed')
    return (
      <div data-testid="job-status" data-state="failed" data-error={job.error} class="error">
        <strong data-testid="job-error">{job.error}</strong>: {job.message}
      </div>
    )
  const r = job.result
  const peak = Math.max(...r.histogram)
  return (
    <div data-testid="job-status" data-state="completed">
      <p>
        Done in {job.ms} ms: <span data-testid="job-count">{r.count}</span> items, mean{' '}
        <span data-testid="job-mean">{r.mean.toFixed(3)}</span>, sd {r.stddev.toFixed(3)}, range {r.min.toFixed(2)}–{r.max.toFixed(2)}
      </p>
      <div class="histogram" aria-label="histogram">
        {r.histogram.map((n, i) => (
          <span key={i} style={{ height: `${(n / peak) * 40}px` }} title={`${i * 10}–${i * 10 + 10}: ${n}`} />
        ))}
      </div>
    </div>
  )
}
