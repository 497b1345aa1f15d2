// The secondary views: subscriptions, contexts, publish form (the chart is chart.tsx).
import type { Command, ResultMsg } from '@tidings/devtools/protocol'
import { useState } from 'preact/hooks'
import { time } from './format.ts'
import type { PanelStore } from './store.ts'

export function Subscriptions({ store }: { store: PanelStore }) {
  const subs = [...store.subscriptions.values()]
  const ctx = store.agent ? store.agent.name : 'page'
  if (subs.length === 0) return <p class="empty">No subscriptions on this bus yet.</p>
  return (
    <table class="grid" data-testid="subs-table">
      <thead>
        <tr>
          <th>pattern</th>
          <th>kind</th>
          <th>label</th>
          <th>context</th>
          <th>queue</th>
          <th>strategy</th>
          <th>received</th>
          <th>handled</th>
          <th>dropped</th>
          <th>rejected</th>
          <th>errors</th>
        </tr>
      </thead>
      <tbody>
        {subs.map((s) => (
          <tr key={s.id} data-testid="sub-row" data-id={s.id}>
            <td class="mono">{s.patterns.join(', ')}</td>
            <td>{s.kind}</td>
            <td>{s.label ?? ''}</td>
            <td>{ctx}</td>
            <td>{s.queueMax !== undefined ? `${s.queued}/${s.queueMax} (max ${s.maxQueued})` : '—'}</td>
            <td>{s.strategy ?? '—'}</td>
            <td data-testid="sub-received">{s.received}</td>
            <td>{s.handled}</td>
            <td>{s.dropped}</td>
            <td>{s.rejected}</td>
            <td class={s.errors ? 'bad' : ''}>{s.errors}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function Contexts({ store }: { store: PanelStore }) {
  const a = store.agent
  return (
    <div data-testid="contexts">
      {a && (
        <p>
          Bus <b>{a.bus}</b> ({a.name}) in <span class="mono">{a.url}</span>, origin <span class="mono">{a.origin}</span>; streams up to{' '}
          {a.maxEventsPerSecond} events/s.
        </p>
      )}
      {store.contexts.length === 0 ? (
        <p class="empty">No events seen yet.</p>
      ) : (
        <table class="grid">
          <thead>
            <tr>
              <th>context</th>
              <th>origin</th>
              <th>via</th>
              <th>events</th>
              <th>last seen</th>
            </tr>
          </thead>
          <tbody>
            {store.contexts.map((c) => (
              <tr key={c.origin} data-testid="context-row">
                <td>{c.self ? 'this page' : c.via === 'worker' ? 'worker' : c.via === 'tabs' ? 'other tab' : (c.via ?? 'remote')}</td>
                <td class="mono">{c.origin}</td>
                <td>{c.via ?? '—'}</td>
                <td>{c.events}</td>
                <td>{time(c.lastAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

export function PublishForm({ send }: { send: (c: Command) => Promise<ResultMsg> }) {
  const [type, setType] = useState('')
  const [data, setData] = useState('{}')
  const [correlationId, setCorrelationId] = useState('')
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>()
  const submit = async (ev: Event) => {
    ev.preventDefault()
    let parsed: unknown
    try {
      parsed = data.trim() === '' ? undefined : JSON.parse(data)
    } catch (err) {
      setResult({ ok: false, text: `Data is not valid JSON: ${(err as Error).message}` })
      return
    }
    const command: Command = { op: 'publish', type: type.trim() }
    if (parsed !== undefined) command.data = parsed
    if (correlationId.trim()) command.correlationId = correlationId.trim()
    try {
      const r = await send(command)
      setResult(r.ok ? { ok: true, text: `Published ${r.eventId ?? ''}` } : { ok: false, text: `${r.error?.name}: ${r.error?.message}` })
    } catch (err) {
      setResult({ ok: false, text: (err as Error).message })
    }
  }
  return (
    <form class="publish" onSubmit={submit} data-testid="publish-form">
      <label>
        Topic <input value={type} onInput={(e) => setType(e.currentTarget.value)} placeholder="cart.item.added" data-testid="publish-type" required />
      </label>
      <label>
        Data (JSON)
        <textarea value={data} onInput={(e) => setData(e.currentTarget.value)} rows={6} data-testid="publish-data" />
      </label>
      <label>
        correlationId <input value={correlationId} onInput={(e) => setCorrelationId(e.currentTarget.value)} placeholder="optional" />
      </label>
      <button type="submit" data-testid="publish-submit">
        Publish on the page's bus
      </button>
      {result && (
        <p class={result.ok ? 'ok' : 'bad'} data-testid="publish-result">
          {result.text}
        </p>
      )}
    </form>
  )
}
