// The Tidings panel: toolbar, live log + detail, and tabs for the other views.
import { type Command, type ResultMsg, parseExport } from '@tidings/devtools/protocol'
import { useState } from 'preact/hooks'
import { Detail } from './detail.tsx'
import { EventLog, LogHeader } from './log.tsx'
import type { LoggedEvent, PanelStore } from './store.ts'
import { useStore } from './use-store.ts'
import { ThroughputChart } from './chart.tsx'
import { StateView } from './state-view.tsx'
import { Contexts, PublishForm, Subscriptions } from './views.tsx'

type View = 'log' | 'state' | 'subscriptions' | 'contexts' | 'throughput' | 'publish'

export interface AppProps {
  store: PanelStore
  send: (c: Command) => Promise<ResultMsg>
  tabId: number | undefined
}

export function App({ store, send, tabId }: AppProps) {
  const version = useStore(store)
  const [view, setView] = useState<View>('log')
  const [selected, setSelected] = useState<string | undefined>()
  const [filter, setFilter] = useState(store.filterText)
  const [search, setSearch] = useState(store.searchText)
  const [note, setNote] = useState<string | undefined>()
  const [replayResult, setReplayResult] = useState<string | undefined>()

  if (tabId === undefined)
    return (
      <div class="empty-state" data-testid="empty-state">
        <h2>No tab to inspect</h2>
        <p>Open this panel from Chrome DevTools (the “Tidings” tab), or open panel.html?tabId=N.</p>
      </div>
    )

  const applyFilter = (f: string, s: string) => {
    setFilter(f)
    setSearch(s)
    store.setFilter(f, s)
  }

  const command = async (c: Command, what: string) => {
    try {
      const r = await send(c)
      setNote(r.ok ? undefined : `${what} failed: ${r.error?.message ?? 'unknown error'}`)
      return r
    } catch (err) {
      setNote(`${what} failed: ${(err as Error).message}`)
      return undefined
    }
  }

  const replay = async (e: LoggedEvent) => {
    setReplayResult(undefined)
    // The panel's copy stands in for the page's only when it is the event as published (not cut).
    const r = await command(e.item.cut ? { op: 'replay', eventId: e.event.id } : { op: 'replay', eventId: e.event.id, event: e.event }, 'Replay')
    if (r) setReplayResult(r.ok ? `Replayed as ${r.eventId ?? '?'}` : `Replay failed: ${r.error?.message ?? ''}`)
  }

  const exportJson = () => {
    const blob = new Blob([JSON.stringify(store.toExport(), null, 1)], { type: 'application/json' })
    const a = document.createElement('a')
    a.href = URL.createObjectURL(blob)
    a.download = `tidings-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
    a.click()
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
  }

  const importJson = async (file: File | undefined) => {
    if (!file) return
    try {
      const check = parseExport(JSON.parse(await file.text()))
      if (!check.ok) return setNote(`Import failed: ${check.reason}`)
      const added = store.importFile(check.file)
      setNote(`Imported ${added} events${check.invalid ? `, ${check.invalid} invalid items left out` : ''}.`)
    } catch (err) {
      setNote(`Import failed: ${(err as Error).message}`)
    }
  }

  const sel = selected !== undefined ? store.byId.get(selected) : undefined
  const agent = store.agent
  const st = store.status

  return (
    <div class="app" data-version={version}>
      <header class="toolbar">
        <span class={`dot ${agent && store.pipe === 'connected' ? 'on' : 'off'}`} data-testid="connection" data-state={agent ? 'connected' : (st?.state ?? store.pipe)}>
          {agent ? agent.name : 'not connected'}
        </span>
        <input
          class="filter"
          placeholder="filter: user.*  order.**"
          value={filter}
          onInput={(e) => applyFilter(e.currentTarget.value, search)}
          data-testid="filter"
          title="Glob patterns (space or comma separated), same rules as bus.subscribe"
        />
        <input class="search" placeholder="search text" value={search} onInput={(e) => applyFilter(filter, e.currentTarget.value)} data-testid="search" />
        <button
          class={store.problemsOnly ? 'toggle on' : 'toggle'}
          aria-pressed={store.problemsOnly}
          onClick={() => store.setFilter(filter, search, !store.problemsOnly)}
          title="Show only events with a handler error, a drop or a refusal"
          data-testid="problems-filter"
        >
          ⚠ Errors &amp; drops only
        </button>
        <button
          class={store.timing ? 'toggle on' : 'toggle'}
          aria-pressed={store.timing}
          onClick={() => command({ op: 'timing', on: !store.timing }, 'Timing')}
          title="Per-handler timing: which subscription received each event and how long its handler took. Off, the page's publish() costs about 2x less with the panel open; the receipt's counts are still shown."
          data-testid="timing"
        >
          Timing
        </button>
        <button onClick={() => command({ op: store.paused ? 'resume' : 'pause' }, 'Pause').then(() => command({ op: 'snapshot' }, 'Snapshot'))} data-testid="pause">
          {store.paused ? 'Resume' : 'Pause'}
        </button>
        <button onClick={() => (store.clear(), setSelected(undefined))} data-testid="clear">
          Clear
        </button>
        <button onClick={exportJson} data-testid="export">
          Export
        </button>
        <label class="button">
          Import
          <input type="file" accept="application/json,.json" hidden onChange={(e) => importJson(e.currentTarget.files?.[0])} data-testid="import" />
        </label>
        <span class="counts" data-testid="counts">
          {store.filtered.length}/{store.events.length} events
          {store.skipped > 0 ? ` · ${store.skipped} sampled out` : ''}
          {st && st.rejected > 0 ? ` · ${st.rejected} page messages rejected` : ''}
          {store.paused ? ' · paused' : ''}
        </span>
      </header>
      <nav class="tabs">
        {(['log', 'state', 'subscriptions', 'contexts', 'throughput', 'publish'] as const).map((v) => (
          <button key={v} class={view === v ? 'active' : ''} onClick={() => setView(v)} data-testid={`tab-${v}`}>
            {v === 'subscriptions' ? `subscriptions (${store.subscriptions.size})` : v}
          </button>
        ))}
      </nav>
      {store.filterError && <div class="note bad" data-testid="filter-error">{store.filterError}</div>}
      {note && (
        <div class="note" data-testid="note" onClick={() => setNote(undefined)}>
          {note}
        </div>
      )}
      <main class="main">
        {!agent && store.events.length === 0 ? (
          <EmptyState store={store} />
        ) : view === 'log' ? (
          <div class="split">
            <div class="log-pane">
              {store.recordedCount > 0 && (
                <div class="recorded-banner" data-testid="recorded-banner">
                  ◷ {store.recordedCount} event{store.recordedCount === 1 ? ' was' : 's were'} recorded by the page before this panel opened (marked ◷).
                </div>
              )}
              {store.filtered.length === 0 ? (
                <>
                  <LogHeader />
                  <LogEmpty store={store} />
                </>
              ) : (
                <EventLog rows={store.filtered} selected={selected} onSelect={(id) => (setSelected(id), setReplayResult(undefined))} version={version} />
              )}
            </div>
            {sel && <Detail store={store} e={sel} onSelect={setSelected} onClose={() => setSelected(undefined)} onReplay={replay} replayResult={replayResult} />}
          </div>
        ) : view === 'state' ? (
          <StateView store={store} onOpenEvent={(id) => (setView('log'), setSelected(id))} />
        ) : view === 'subscriptions' ? (
          <Subscriptions store={store} />
        ) : view === 'contexts' ? (
          <Contexts store={store} />
        ) : view === 'throughput' ? (
          <ThroughputChart store={store} version={version} />
        ) : (
          <PublishForm send={send} />
        )}
      </main>
    </div>
  )
}

/** The log has no rows: say why and what to do. */
function LogEmpty({ store }: { store: PanelStore }) {
  if (store.events.length > 0)
    return (
      <div class="empty-state" data-testid="log-empty" data-reason="filtered">
        <h2>No event matches</h2>
        <p>
          {store.events.length} events are hidden by the {store.problemsOnly ? 'errors & drops toggle' : ''}
          {store.problemsOnly && (store.filterText || store.searchText) ? ' and the ' : ''}
          {store.filterText || store.searchText ? 'filter or search' : ''}. Clear them to see every event.
        </p>
      </div>
    )
  return (
    <div class="empty-state" data-testid="log-empty" data-reason="no-events">
      <h2>Connected to {store.agent?.name ?? 'the page'}: no events yet</h2>
      <p>Events appear here as the page publishes them. To see some now:</p>
      <ul>
        <li>use the page (click, navigate) so it publishes on its bus;</li>
        <li>
          or open <b>publish</b> above and send one, e.g. <code>app.hello</code>;
        </li>
        <li>
          events published before this panel opened are shown too (marked ◷), unless the page passed <code>recordBytes: 0</code> to{' '}
          <code>connectDevtools</code>.
        </li>
      </ul>
    </div>
  )
}

function EmptyState({ store }: { store: PanelStore }) {
  const st = store.status
  if (store.pipe === 'disconnected' && !st)
    return (
      <div class="empty-state" data-testid="empty-state" data-reason="unreachable">
        <h2>Can’t reach this page</h2>
        <p>The Tidings content script is not running in this tab. Reload the page (scripts are injected when it loads); chrome:// and Web Store pages cannot be inspected.</p>
      </div>
    )
  if (st?.state === 'no-agent')
    return (
      <div class="empty-state" data-testid="empty-state" data-reason="no-agent">
        <h2>No Tidings bus on this page</h2>
        <p>This page does not run the Tidings DevTools agent. Connect your bus and reload:</p>
        <pre>{`import { createBus } from '@tidings/core'
import { connectDevtools } from '@tidings/devtools'

const bus = createBus({ name: 'app' })
connectDevtools(bus, { redact: ['password'] })`}</pre>
        <p class="muted">The agent stays idle (one message listener) until this panel opens.</p>
      </div>
    )
  return (
    <div class="empty-state" data-testid="empty-state" data-reason="waiting">
      <h2>Connecting…</h2>
      <p class="muted">Waiting for the page’s Tidings agent to answer.</p>
    </div>
  )
}
