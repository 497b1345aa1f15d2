// Events per second over the last 30 s as a small SVG bar chart (no chart library needed).
// The y-axis is logarithmic (0, 1, 10, 100, ... events/s): a 1000-event burst would otherwise
// flatten every other second to a sliver, while on a log scale a second with 5 events still shows
// at a quarter of the burst's height and the gridlines say what each bar is worth.
import { throughput } from './log-store.ts'

const W = 360
const H = 96
const LEFT = 30 // room for the y labels
const BOTTOM = 14 // room for the x labels
const TOP = 6
const PLOT_W = W - LEFT - 4
const PLOT_H = H - TOP - BOTTOM

/** Height of `n` on a log scale whose top is `max` (a power of ten). */
const scale = (n: number, max: number) => (Math.log10(1 + n) / Math.log10(1 + max)) * PLOT_H

export function ThroughputChart() {
  const { perSecond, total } = throughput()
  const peak = Math.max(0, ...perSecond)
  // The axis ends at the next power of ten above the peak, at least 10.
  const max = 10 ** Math.max(1, Math.ceil(Math.log10(Math.max(1, peak))))
  const ticks = [0]
  // 1 sits close above 0 on a tall scale: label it only where there is room.
  if (scale(1, max) >= 10) ticks.push(1)
  for (let t = 10; t <= max; t *= 10) ticks.push(t)
  const seconds = perSecond.length
  const barW = PLOT_W / seconds
  // The last bucket is the second in progress; the previous one is the last complete second.
  const lastFull = perSecond[seconds - 2] ?? 0
  return (
    <div class="throughput">
      <svg
        width="100%"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`events per second over the last ${seconds} seconds, log scale; peak ${peak}/s`}
        data-testid="throughput-chart"
      >
        {ticks.map((t) => {
          const y = TOP + PLOT_H - scale(t, max)
          return (
            <g key={t}>
              <line x1={LEFT} x2={W - 4} y1={y} y2={y} class="grid" />
              <text x={LEFT - 4} y={y + 3} text-anchor="end" class="tick">
                {t >= 1000 ? `${t / 1000}k` : t}
              </text>
            </g>
          )
        })}
        {perSecond.map((n, i) => {
          const h = scale(n, max)
          const ago = seconds - 1 - i
          return (
            <rect key={i} x={LEFT + i * barW + 1} y={TOP + PLOT_H - h} width={barW - 2} height={h} class={ago === 0 ? 'bar now' : 'bar'}>
              <title>{`${n} event${n === 1 ? '' : 's'} ${ago === 0 ? 'so far this second' : `${ago} s ago`}`}</title>
            </rect>
          )
        })}
        <line x1={LEFT} x2={W - 4} y1={TOP + PLOT_H} y2={TOP + PLOT_H} class="axis" />
        <line x1={LEFT} x2={LEFT} y1={TOP} y2={TOP + PLOT_H} class="axis" />
        {[seconds - 1, 20, 10].map((ago) => (
          <text key={ago} x={LEFT + (seconds - 1 - ago) * barW + barW / 2} y={H - 2} text-anchor="middle" class="tick">
            −{ago} s
          </text>
        ))}
        <text x={W - 4} y={H - 2} text-anchor="end" class="tick">
          now
        </text>
      </svg>
      <div class="muted small">
        events/s, log scale · <span data-testid="throughput-rate">{lastFull}</span> ev/s last second (peak {peak}/s),{' '}
        <span data-testid="throughput-total">{total}</span> events since load
      </div>
    </div>
  )
}
