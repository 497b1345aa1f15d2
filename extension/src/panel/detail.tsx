// One event: envelope, data tree, who received it (with timing), errors, drops, the bridges it
// crossed, and the correlation/causation chain as links.
import { decode } from '@tidings/core/bridge'
import type { WireSubscription } from '@tidings/devtools/protocol'
import { iso, ms, relative, time } from './format.ts'
import { CallSite } from './call-site.tsx'
import type { LoggedEvent, PanelStore } from './store.ts'
import { DataTree } from './tree.tsx'

/** The data itself when the page sent it exactly (small, read whole), else the preview. */
function exactData(exact: string | undefined, preview: unknown): unknown {
  if (exact === undefined) return preview
  try {
    return decode(exact, 'the event data')
  } catch {
    return preview
  }
}

function subLabel(subs: Map<string, WireSubscription>, id: string): string {
  const s = subs.get(id)
  if (!s) return id
  return `${s.label ? `${s.label} ` : ''}(${s.patterns.join(', ')})`
}

function Link({ e, onSelect, current }: { e: LoggedEvent; onSelect: (id: string) => void; current?: boolean }) {
  return (
    <li>
      {current ? (
        <b>{e.event.type}</b>
      ) : (
        <a href="#" onClick={(ev) => (ev.preventDefault(), onSelect(e.event.id))} data-testid="chain-link">
          {e.event.type}
        </a>
      )}{' '}
      <span class="muted">
        {time(e.at)} · {e.event.id}
      </span>
    </li>
  )
}

export function Detail(props: {
  store: PanelStore
  e: LoggedEvent
  onSelect: (id: string) => void
  onClose: () => void
  onReplay: (e: LoggedEvent) => void
  replayResult: string | undefined
}) {
  const { store, e, onSelect } = props
  const { data: preview, ...envelope } = e.event
  const data = exactData(e.item.exact, preview)
  const parent = e.event.causationId !== undefined ? store.byId.get(e.event.causationId) : undefined
  const children = store.causedBy(e)
  const correlated = store.correlated(e)
  const hops = e.hops
  return (
    <div class="detail" data-testid="event-detail">
      <div class="detail-head">
        <h2 data-testid="detail-type">{e.event.type}</h2>
        <button onClick={() => props.onReplay(e)} data-testid="replay">
          Replay
        </button>
        <button onClick={props.onClose} title="Close">
          ✕
        </button>
      </div>
      {props.replayResult && <div class="note" data-testid="replay-result">{props.replayResult}</div>}
      {e.recorded && (
        <p class="muted" data-testid="detail-recorded">
          ◷ Recorded by the page before this panel opened.
        </p>
      )}
      <section>
        <h3>Envelope</h3>
        <table class="kv">
          <tbody>
            {Object.entries(envelope).map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                {k === 'timestamp' && typeof v === 'number' ? (
                  <td data-testid="detail-time" title={String(v)}>
                    {iso(v)} <span class="muted">({relative(v)}; local {time(v)})</span>
                  </td>
                ) : (
                  <td>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
                )}
              </tr>
            ))}
            <tr>
              <th>context</th>
              <td>{e.ctx.via ? `bridged by ${e.ctx.via} from ${e.ctx.origin}` : `this page (${e.ctx.origin})`}</td>
            </tr>
            <tr>
              <th>receipt</th>
              <td>
                matched {e.receipt.matched}, delivered {e.receipt.delivered}, queued {e.receipt.queued}, dropped {e.receipt.dropped}, rejected{' '}
                {e.receipt.rejected}
              </td>
            </tr>
          </tbody>
        </table>
      </section>
      <section>
        <h3>Data</h3>
        {e.item.cut && (
          <p class="muted" data-testid="detail-cut">
            Shown as the page sent it: redacted, capped or with unreadable values replaced (the page's agent bounds what leaves the page).
          </p>
        )}
        <div class="tree" data-testid="detail-data">
          <DataTree value={data} />
        </div>
      </section>
      {e.item.stack !== undefined && <CallSite stack={e.item.stack} />}
      <section>
        <h3>Received by ({e.delivered})</h3>
        {e.deliveries.length === 0 && e.receipt.delivered + e.receipt.queued > 0 ? (
          <p class="muted" data-testid="detail-no-timing">
            Delivered to {e.receipt.delivered}, queued for {e.receipt.queued} of {e.receipt.matched} matching subscriptions (the receipt). Per-handler timing was off: switch on Timing (toolbar) to
            see which subscription received each event and how long its handler took.
          </p>
        ) : e.deliveries.length === 0 ? (
          <p class="muted">No subscription received it{e.receipt.matched > 0 ? ' (yet)' : ''}.</p>
        ) : (
          <table class="grid" data-testid="detail-deliveries">
            <thead>
              <tr>
                <th>subscription</th>
                <th>time</th>
                <th>attempt</th>
              </tr>
            </thead>
            <tbody>
              {e.deliveries.map((d, i) => (
                <tr key={i}>
                  <td>{subLabel(store.subscriptions, d.sub)}</td>
                  <td>{ms(d.ms)}</td>
                  <td>{d.attempt}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {e.errors.length > 0 && (
        <section>
          <h3>Errors ({e.errors.length})</h3>
          {e.errors.map((f, i) => (
            <div key={i} class="error-box" data-testid="detail-error">
              <b>{f.error.name}</b>: {f.error.message}
              <div class="muted">
                {subLabel(store.subscriptions, f.sub)} · attempt {f.attempt}
                {f.final ? ' (final)' : ''}
              </div>
              {f.error.stack && <pre>{f.error.stack}</pre>}
            </div>
          ))}
        </section>
      )}
      {e.refusals.length > 0 && (
        <section>
          <h3>Dropped / rejected</h3>
          <ul>
            {e.refusals.map((r, i) => (
              <li key={i}>
                {r.kind} by {subLabel(store.subscriptions, r.sub)}: {r.reason}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section>
        <h3>Bridges ({hops.length})</h3>
        {hops.length === 0 ? (
          <p class="muted">{e.ctx.via ? `Arrived through ${e.ctx.via}; the hop itself was not streamed.` : 'It did not cross a bridge.'}</p>
        ) : (
          <table class="grid" data-testid="detail-hops">
            <thead>
              <tr>
                <th>bridge</th>
                <th>direction</th>
                <th>time</th>
              </tr>
            </thead>
            <tbody>
              {hops.map((h, i) => (
                <tr key={i} data-testid="hop-row" data-bridge={h.bridge} data-direction={h.direction}>
                  <td>{h.bridge}</td>
                  <td>{h.direction === 'in' ? `in, from ${h.origin}` : 'out, to the other side'}</td>
                  <td>{time(h.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section data-testid="detail-chain">
        <h3>Chain</h3>
        {parent ? (
          <p>
            Caused by:{' '}
            <a href="#" onClick={(ev) => (ev.preventDefault(), onSelect(parent.event.id))} data-testid="chain-parent">
              {parent.event.type}
            </a>
          </p>
        ) : e.event.causationId ? (
          <p class="muted">Caused by {e.event.causationId} (not in the log)</p>
        ) : null}
        {children.length > 0 && (
          <>
            <p>Caused:</p>
            <ul>
              {children.map((c) => (
                <Link key={c.n} e={c} onSelect={onSelect} />
              ))}
            </ul>
          </>
        )}
        {correlated.length > 0 && (
          <>
            <p>Correlation {e.event.correlationId}:</p>
            <ol>
              {correlated.map((c) => (
                <Link key={c.n} e={c} onSelect={onSelect} current={c === e} />
              ))}
            </ol>
          </>
        )}
        {!parent && !e.event.causationId && children.length === 0 && correlated.length === 0 && <p class="muted">No correlation or causation.</p>}
      </section>
    </div>
  )
}
