// The state view: every sharedState key of the page with its current value as a tree, and the
// history of its sets (who set it, the stamp, the call site when traced) with a structural diff
// between consecutive values (microdiff).
import { useState } from 'preact/hooks'
import type { Difference } from 'microdiff'
import { preview, relative, time } from './format.ts'
import { pathText, stateEntries, unreadStateChanges, type StateChange, type StateEntry } from './state-model.ts'
import type { PanelStore } from './store.ts'
import { DataTree } from './tree.tsx'

const FROM: Record<string, string> = { local: 'set in this tab', peer: 'set in another tab', storage: 'read from IndexedDB' }

function stampText(s: StateChange['stamp']): string {
  return s ? `${new Date(s.t).toISOString()} #${s.c} by ${s.o}` : 'initial value (never set)'
}

function DiffList({ diff }: { diff: Difference[] }) {
  if (diff.length === 0) return <p class="muted">Same value as before.</p>
  return (
    <ul class="diff" data-testid="state-diff">
      {diff.map((d, i) => (
        <li key={i} class={`diff-${d.type.toLowerCase()}`} data-type={d.type} data-path={pathText(d.path)}>
          <span class="diff-mark">{d.type === 'CREATE' ? '+' : d.type === 'REMOVE' ? '−' : '~'}</span> <b>{pathText(d.path)}</b>{' '}
          {d.type === 'CHANGE' ? (
            <>
              <span class="diff-old">{preview(d.oldValue, 60)}</span> → <span class="diff-new">{preview(d.value, 60)}</span>
            </>
          ) : d.type === 'CREATE' ? (
            <span class="diff-new">{preview(d.value, 60)}</span>
          ) : (
            <span class="diff-old">{preview(d.oldValue, 60)}</span>
          )}
        </li>
      ))}
    </ul>
  )
}

function History({ entry, onSelect }: { entry: StateEntry; onSelect: (id: string) => void }) {
  if (entry.history.length === 0) return <p class="muted">No change since the log began (the value above is its current one).</p>
  return (
    <ol class="state-history" reversed data-testid="state-history">
      {entry.history.toReversed().map((h) => (
        <li key={h.e.n} data-testid="state-change" data-from={h.from}>
          <div class="state-change-head">
            <span title={relative(h.e.at)}>{time(h.e.at)}</span> · <b>{FROM[h.from] ?? h.from}</b> · <span class="muted">stamp {stampText(h.stamp)}</span> ·{' '}
            <a href="#" onClick={(ev) => (ev.preventDefault(), onSelect(h.e.event.id))} data-testid="state-event-link">
              event{h.e.item.stack ? ' + call site' : ''}
            </a>
          </div>
          {h.diff === undefined ? <p class="muted">First change in the log: {preview(h.value, 80)}</p> : <DiffList diff={h.diff} />}
        </li>
      ))}
    </ol>
  )
}

export function StateView({ store, onOpenEvent }: { store: PanelStore; onOpenEvent: (id: string) => void }) {
  const entries = stateEntries(store)
  const [picked, setPicked] = useState<string | undefined>()
  const entry = entries.find((e) => e.key === picked) ?? entries[0]
  const unread = unreadStateChanges(store)
  if (entries.length === 0)
    return (
      <div class="empty-state" data-testid="state-empty">
        <h2>No shared state on this page</h2>
        <p>
          Keys made with <code>sharedState(bus, key, initial)</code> from <code>@tidings/tabs</code> show here with their value and the history of their
          sets.
        </p>
      </div>
    )
  return (
    <div class="state-view" data-testid="state-view">
      <ul class="state-keys" role="listbox" aria-label="shared state keys">
        {entries.map((e) => (
          <li key={e.key} role="option" aria-selected={e === entry} class={e === entry ? 'active' : ''} onClick={() => setPicked(e.key)} data-testid="state-key" data-key={e.key}>
            <b>{e.key}</b>
            <span class="muted"> {e.history.length} sets</span>
          </li>
        ))}
      </ul>
      {entry && (
        <div class="state-detail" data-testid="state-detail">
          <h2>{entry.key}</h2>
          <p class="muted">stamp {stampText(entry.stamp)}</p>
          <h3>Current value</h3>
          <div class="tree" data-testid="state-value">
            <DataTree key={entry.key} value={entry.value} openDepth={4} />
          </div>
          <h3>History ({entry.history.length})</h3>
          {unread > 0 && (
            <p class="muted" data-testid="state-unread">
              {unread} state change{unread === 1 ? ' was' : 's were'} sent without data (the page's read budget for a batch was spent), so {unread === 1 ? 'its key is' : 'their keys are'} unknown.
            </p>
          )}
          <History entry={entry} onSelect={onOpenEvent} />
        </div>
      )}
    </div>
  )
}
