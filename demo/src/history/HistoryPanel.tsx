// Query the stored activity by pattern and time, and replay it onto the bus. Replayed events carry
// metadata.replayed (the log shows them as "replay") and are never stored again. The list is live:
// every event the history records (from this tab or, through the tabs bridge, another one) re-runs
// the current query once it is written.
import type { TidingsEvent } from '@tidings/core'
import type { HistoryError } from '@tidings/history'
import { useEffect, useRef, useState } from 'preact/hooks'
import { bus } from '../bus.ts'
import { useEvent, useObservable } from '../hooks/tidings.ts'
import { tabs } from '../tabs/connect.ts'
import { downloadText } from './download.ts'
import { history, RECORDED_TOPICS } from './history.ts'

const RANGES = { '5m': 5 * 60_000, '1h': 3600_000, '24h': 86_400_000, all: 0 } as const
type Range = keyof typeof RANGES

export function HistoryPanel() {
  const [pattern, setPattern] = useState('task.**')
  const [range, setRange] = useState<Range>('1h')
  const [rows, setRows] = useState<TidingsEvent[]>([])
  const [status, setStatus] = useState('')
  const [error, setError] = useState('')

  const query = () => {
    const ms = RANGES[range]
    return { type: pattern.trim() || '**', ...(ms ? { from: Date.now() - ms } : {}) }
  }

  // Queries overlap (a click while a live refresh runs): only the newest one's answer is shown.
  const latest = useRef(0)
  const run = async () => {
    const mine = ++latest.current
    setError('')
    try {
      await history.flush() // include what this tab wrote a moment ago
      const found = await history.query({ ...query(), order: 'desc', limit: 200 })
      if (mine !== latest.current) return
      setRows(found)
      setStatus(`${found.length} events found`)
    } catch (e) {
      if (mine === latest.current) setError((e as Error).message) // InvalidTopicError for a bad pattern, HistoryClosedError...
    }
  }

  // Live: re-run the current query (pattern and range as they are now: useEvent calls the latest
  // handler) when a recorded event is published. Several in one task (a burst, a replay in another
  // tab) make one query. Replayed events are skipped: history never stores them again.
  const refreshQueued = useRef(false)
  useEvent(
    RECORDED_TOPICS,
    () => {
      if (refreshQueued.current) return
      refreshQueued.current = true
      setTimeout(() => {
        refreshQueued.current = false
        void run()
      })
    },
    { filter: (e) => !e.metadata?.['replayed'] },
  )
  const otherTabs = useObservable(tabs.peers$, tabs.peers()).length

  const replay = async () => {
    setError('')
    try {
      const { replayed } = await history.replay(bus, query(), { speed: 'instant' })
      setStatus(`replayed ${replayed} events`)
    } catch (e) {
      setError((e as Error).message)
    }
  }

  // Export what the query matches as JSON lines, a file `history.import()` reads back.
  const download = async () => {
    setError('')
    try {
      const text = await history.export({ ...query(), format: 'jsonl' })
      downloadText(text, 'tidings-demo-history.jsonl', 'application/x-ndjson')
    } catch (e) {
      setError((e as Error).message)
    }
  }

  // Query once on load: after a reload this shows what the previous session recorded.
  useEffect(() => void run(), [])
  // Background failures (quota, a database deleted under us) are reported, never thrown.
  useEffect(() => {
    const sub = history.errors$.subscribe((e: HistoryError) => setError(`${e.name}: ${e.message}`))
    return () => sub.unsubscribe()
  }, [])

  return (
    <section class="panel" data-testid="history-panel">
      <h2>Activity history</h2>
      <div class="row">
        <input data-testid="history-pattern" value={pattern} onInput={(e) => setPattern(e.currentTarget.value)} />
        <select data-testid="history-range" value={range} onChange={(e) => setRange(e.currentTarget.value as Range)}>
          <option value="5m">last 5 min</option>
          <option value="1h">last hour</option>
          <option value="24h">last 24 h</option>
          <option value="all">all time</option>
        </select>
        <button data-testid="history-query" onClick={run}>Query</button>
        <button
          data-testid="history-replay"
          onClick={replay}
          title="Publishes the matching events again on this tab's bus, marked replayed (never stored twice)"
        >
          Replay
        </button>
        <button data-testid="history-export" onClick={download}>Export</button>
      </div>
      {/* Replayed task events are shared like any task event: the tabs bridge sends them on. */}
      <p class="muted small" data-testid="history-replay-note" data-other-tabs={otherTabs}>
        Replay re-publishes on this tab's bus; <code>task.**</code> is shared, so{' '}
        {otherTabs === 0
          ? 'other open tabs would get the replayed events too.'
          : otherTabs === 1
            ? 'the other open tab gets them too (its log marks them replay).'
            : `the ${otherTabs} other open tabs get them too (their logs mark them replay).`}
      </p>
      {status && <p class="muted" data-testid="history-status">{status}</p>}
      {error && <p class="error" data-testid="history-error">{error}</p>}
      <ol class="log fill" data-testid="history-list">
        {rows.map((e) => (
          <li key={e.id} data-testid="history-row" data-type={e.type}>
            <time>{new Date(e.timestamp).toLocaleTimeString()}</time> <code>{e.type}</code> {describe(e)}
          </li>
        ))}
      </ol>
    </section>
  )
}

function describe(e: TidingsEvent): string {
  const d = e.data as { task?: { title?: string }; title?: string; error?: string; ms?: number } | undefined
  return d?.task?.title ?? d?.title ?? d?.error ?? (d?.ms !== undefined ? `${d.ms} ms` : '')
}
