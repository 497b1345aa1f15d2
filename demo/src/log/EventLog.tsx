// The live event log: every event this tab's bus sees, newest first, filtered by a glob pattern
// with the same semantics the bus routes with (compilePatterns).
import { compilePatterns } from '@tidings/core'
import { useMemo, useState } from 'preact/hooks'
import { shortOrigin } from '../bus.ts'
import { useTick } from '../hooks/use-tick.ts'
import { recentEntries } from './log-store.ts'
import { ThroughputChart } from './ThroughputChart.tsx'

const SHOWN = 100

export function EventLog() {
  useTick(250) // redraw 4x a second, not once per event: bursts publish thousands
  const [pattern, setPattern] = useState('**')
  // An invalid pattern throws InvalidTopicError naming the rule; show it instead of crashing.
  const filter = useMemo(() => {
    try {
      return { match: compilePatterns(pattern.trim() || '**'), error: '' }
    } catch (e) {
      return { match: () => false, error: (e as Error).message }
    }
  }, [pattern])
  const rows = recentEntries().filter((e) => filter.match(e.event.type))

  return (
    <section class="panel" data-testid="log-panel">
      <h2>Live event log</h2>
      <ThroughputChart />
      <label>
        Pattern{' '}
        <input data-testid="log-filter" value={pattern} onInput={(e) => setPattern(e.currentTarget.value)} placeholder="task.** or {job,load}.**" />
      </label>
      {filter.error && <p class="error" data-testid="log-filter-error">{filter.error}</p>}
      <p class="muted">
        <span data-testid="log-count">{rows.length}</span> matching of the last {recentEntries().length}
      </p>
      <ol class="log fill" data-testid="log-list">
        {rows.slice(0, SHOWN).map(({ event, via, n }) => (
          <li key={n} data-testid="log-row" data-type={event.type} data-via={via}>
            <time>{new Date(event.timestamp).toLocaleTimeString()}</time> <code>{event.type}</code>{' '}
            <span class={`via via-${via}`}>{via}</span> <span class="muted" title={`seq ${event.seq} of the tab or worker whose origin id is ${event.origin}`}>
              #{event.seq} {shortOrigin(event.origin)}
            </span>
          </li>
        ))}
      </ol>
    </section>
  )
}
