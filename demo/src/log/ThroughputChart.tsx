// Events per second over the last 30 s as a small SVG bar chart (no chart library needed).
import { throughput } from './log-store.ts'

const W = 300
const H = 60

export function ThroughputChart() {
  const { perSecond, total } = throughput()
  const peak = Math.max(1, ...perSecond)
  const barW = W / perSecond.length
  // The last bucket is the second in progress; the previous one is the last complete second.
  const lastFull = perSecond[perSecond.length - 2] ?? 0
  return (
    <div class="throughput">
      <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label="events per second" data-testid="throughput-chart">
        {perSecond.map((n, i) => {
          const h = (n / peak) * (H - 4)
          return <rect key={i} x={i * barW + 1} y={H - h} width={barW - 2} height={h} fill={i === perSecond.length - 1 ? '#9ab' : '#3b7'} />
        })}
      </svg>
      <div class="muted">
        <span data-testid="throughput-rate">{lastFull}</span> ev/s (peak {peak === 1 && lastFull === 0 ? 0 : peak}/s),{' '}
        <span data-testid="throughput-total">{total}</span> events since load
      </div>
    </div>
  )
}
