// Throughput over the last 60 s with uPlot (a small, fast canvas chart library; see
// docs/devtools.md for why): the top N types stacked as areas, everything else as "other", the
// drops/rejects/handler errors of each second as red points on their own axis. Axes are labelled
// (local time; events/s; problems/s); hovering shows each type's own value at that second.
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { useEffect, useRef } from 'preact/hooks'
import type { PanelStore } from './store.ts'

const COLORS = ['#3b82f6', '#10b981', '#f59e0b', '#8b5cf6', '#06b6d4', '#94a3b8']
const PROBLEM = '#dc2626'
/** Axis labels (drawn on the canvas by uPlot): x, left y, right y. */
const AXES = ['local time', 'events/s', 'dropped / errors per s'] as const

interface ChartData {
  types: string[]
  data: uPlot.AlignedData
  /** Per series (index as in uPlot: 0 is x), the raw (unstacked) values. */
  raw: number[][]
}

export function chartData(store: PanelStore, top: number): ChartData {
  const { seconds, series, problems } = store.throughput(top)
  // Stacked: series i is drawn at the sum of series i..n-1, so the first type is on top.
  const stacked: number[][] = series.map(() => [])
  for (let j = 0; j < seconds.length; j++) {
    let sum = 0
    for (let i = series.length - 1; i >= 0; i--) {
      sum += series[i]!.values[j]!
      stacked[i]![j] = sum
    }
  }
  const problemPoints = problems.map((n) => (n > 0 ? n : null))
  return {
    types: series.map((s) => s.type),
    data: [seconds, ...stacked, problemPoints] as uPlot.AlignedData,
    raw: [seconds, ...series.map((s) => s.values), problems],
  }
}

const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'

function options(types: string[], width: number, raw: () => number[][]): uPlot.Options {
  const fg = css('--muted')
  const grid = css('--line')
  const axis = (label: string, scale?: string, side?: 1 | 3): uPlot.Axis => ({
    label,
    stroke: fg,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    ...(scale ? { scale } : {}),
    ...(side ? { side } : {}),
  })
  return {
    width,
    height: 260,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(5, max * 1.1)] }, p: { range: (_u, _min, max) => [0, Math.max(5, max * 1.2)] } },
    axes: [
      { ...axis(AXES[0]), values: '{HH}:{mm}:{ss}' },
      axis(AXES[1]),
      { ...axis(AXES[2], 'p', 1), grid: { show: false } },
    ],
    series: [
      { label: 'time' },
      ...types.map((t, i) => ({
        label: t,
        stroke: COLORS[i % COLORS.length]!,
        fill: `${COLORS[i % COLORS.length]!}55`,
        width: 1.5,
        points: { show: false },
        value: (_u: uPlot, _v: number | null, si: number, idx: number | null) => (idx === null ? '–' : `${raw()[si]?.[idx] ?? 0}/s`),
      })),
      {
        label: 'dropped / errors',
        scale: 'p',
        stroke: PROBLEM,
        width: 0,
        paths: () => null,
        points: { show: true, size: 9, fill: PROBLEM, stroke: PROBLEM },
        value: (_u: uPlot, v: number | null) => (v === null ? '0' : `${v}/s`),
      },
    ],
  }
}

export function ThroughputChart({ store, version, top = 5 }: { store: PanelStore; version: number; top?: number }) {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<{ u: uPlot; key: string; raw: number[][] } | undefined>(undefined)
  const d = chartData(store, top)
  const key = `${d.types.join('\u0000')}|${document.documentElement.dataset['theme'] ?? ''}`

  useEffect(() => {
    const el = host.current
    if (!el) return
    const p = plot.current
    if (p && p.key === key) {
      p.raw = d.raw
      p.u.setData(d.data)
      return
    }
    p?.u.destroy()
    const first = d.raw
    // The legend reads the newest raw values (setData replaces them without new options).
    const u = new uPlot(options(d.types, Math.max(300, el.clientWidth - 8), () => plot.current?.raw ?? first), d.data, el)
    plot.current = { u, key, raw: d.raw }
  }, [version, key])

  useEffect(() => {
    const el = host.current
    if (!el) return
    const ro = new ResizeObserver(() => plot.current?.u.setSize({ width: Math.max(300, el.clientWidth - 8), height: 260 }))
    ro.observe(el)
    return () => {
      ro.disconnect()
      plot.current?.u.destroy()
      plot.current = undefined
    }
  }, [])

  const total = d.raw.slice(1, -1).reduce((n, s) => n + s.reduce((a, b) => a + b, 0), 0)
  const problems = d.raw.at(-1)!.reduce((a, b) => a + b, 0)
  return (
    <div class="chart" data-testid="throughput">
      <h3>Events per second, last 60 s (top {top} types stacked)</h3>
      <div ref={host} class="chart-host" data-testid="chart" data-types={d.types.join(',')} data-total={total} data-problems={problems} data-axes={AXES.join('|')} />
      {d.types.length === 0 && <p class="empty">No events in the last 60 seconds.</p>}
      <p class="muted small">
        {total} events and {problems} drops/errors in the window. Red points: drops, refusals and handler errors in that second (right axis).
      </p>
    </div>
  )
}
