// Health of every connection, read from the stats() each part exposes. Handy while developing:
// a rising `malformed` or `failed` count shows a problem long before a user reports it.
import { bus } from './bus.ts'
import { history } from './history/history.ts'
import { useTick } from './hooks/use-tick.ts'
import { pool } from './jobs/pool.ts'
import { tabs } from './tabs/connect.ts'
import { tasks } from './tasks/store.ts'

export function StatusPanel() {
  useTick(500)
  const b = bus.stats()
  const t = tabs.stats()
  const p = pool.stats()
  const h = history.stats()
  const s = tasks.stats()
  const rows: Array<[string, string, string]> = [
    ['bus', `${b.published} published, ${b.delivered} delivered, ${b.subscriptions} subscriptions`, `${b.dropped} dropped, ${b.errors} errors`],
    ['tabs', `${t.peers} peer${t.peers === 1 ? '' : 's'}, ${t.sent} sent, ${t.received} received`, `${t.duplicates} dup, ${t.malformed} malformed, ${t.gaps} gaps`],
    ['shared state', `ready from ${s.readyFrom ?? '…'}, ${s.sets} sets, ${s.applied} applied`, `${s.malformed} malformed, ${s.storageErrors} storage errors`],
    ['worker pool', `${p.workers}/${p.size} workers, ${p.busy} busy, ${p.completed} completed`, `${p.crashes} crashes, ${p.restarts} restarts, ${p.timeouts} timeouts`],
    ['history', `${h.written} written in ${h.transactions} tx, ${h.pending} pending`, `${h.failed} failed, ${h.evicted} evicted`],
  ]
  return (
    <section class="panel" data-testid="status-panel">
      <h2>Connections</h2>
      <table class="counters">
        <tbody>
          {rows.map(([name, ok, bad]) => (
            <tr key={name} data-testid={`status-${name.replace(' ', '-')}`}>
              <th>{name}</th>
              <td>
                {ok}
                <br />
                <span class="muted">{bad}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
