// Measurement helpers shared by the Node benchmarks (and usable by browser benchmarks: no Node APIs).
// Every timed run verifies its own result: `run` throws when a count is wrong, which fails the
// library's whole measurement instead of printing a fast but wrong figure.

export interface RateResult {
  /** Median operations per second over the timed runs. */
  perSec: number
  /** Each timed run's ops/s, in run order. */
  samples: number[]
  /** Operations per timed run. */
  ops: number
}

export interface RateOptions {
  /** Timed runs (the median is reported). Default 7. */
  runs?: number
  /** Rough length of one timed run. Default 80 ms. */
  targetMs?: number
  /** `ops` is rounded up to a multiple of this (e.g. the length of a publish cycle). Default 1. */
  multipleOf?: number
  /** Upper bound for ops per run. Default 50e6. */
  maxOps?: number
}

interface CpuProcess {
  cpuUsage(): { user: number; system: number }
  env: Record<string, string | undefined>
}
const nodeProcess = (globalThis as { process?: CpuProcess }).process

/**
 * The clock timed runs are measured with. In Node it is the process's CPU time (user + system,
 * all its threads): on a shared machine, time spent waiting for a core while other work runs does
 * not count, which keeps ratios between libraries (measured minutes apart) stable. Elsewhere, or
 * with BENCH_CLOCK=wall, it is the wall clock.
 */
export const clock: { name: string; now: () => number } =
  nodeProcess && typeof nodeProcess.cpuUsage === 'function' && nodeProcess.env['BENCH_CLOCK'] !== 'wall'
    ? {
        name: 'process CPU time',
        now: () => {
          const u = nodeProcess.cpuUsage()
          return (u.user + u.system) / 1000
        },
      }
    : { name: 'wall clock', now: () => performance.now() }

/** Placeholder for a resolver assigned later. */
export const noop = (): void => {}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** Full collection between runs when the process runs with --expose-gc; otherwise a no-op. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) {
    gc()
    gc()
  }
}

function roundUp(n: number, multiple: number): number {
  return Math.max(multiple, Math.ceil(n / multiple) * multiple)
}

/**
 * Calibrates `ops` so one run takes about `targetMs`, warms up, then times `runs` runs of
 * `run(ops)` (which performs `ops` operations and throws if its verification fails).
 */
export function measureRate(run: (ops: number) => void, opts: RateOptions = {}): RateResult {
  const runs = opts.runs ?? 7
  const targetMs = opts.targetMs ?? 80
  const multipleOf = opts.multipleOf ?? 1
  const maxOps = opts.maxOps ?? 50e6
  let ops = roundUp(1000, multipleOf)
  // Calibration doubles as JIT warm-up.
  for (;;) {
    const t0 = clock.now()
    run(ops)
    const ms = clock.now() - t0
    if (ms >= targetMs / 4 || ops >= maxOps) {
      ops = roundUp(Math.min(maxOps, (ops * targetMs) / Math.max(ms, 0.001)), multipleOf)
      break
    }
    ops = roundUp(ops * 4, multipleOf)
  }
  // The warm-up runs are timed too: calibration times cold runs (a route cache filling, code not
  // yet optimized), which can be 30x slower than warm ones, and a run sized on them lasted ~4 ms
  // instead of ~80 ms, short enough for the first cycle after each full GC to dominate it. So
  // while a warm run takes under half the target, ops are scaled up from it (at most 4 times).
  // At least two warm-up runs: the first can still be cold. A route cache past its first size
  // grows over the first cycles of 20k topics, and sized on that run the 10k-pattern past-cache
  // row timed 2 cycles (~6 ms) a run, and swung 2.7-14.6 M/s from process to process.
  for (let k = 0; ; k++) {
    const t0 = clock.now()
    run(ops)
    const ms = clock.now() - t0
    const short = ms < targetMs / 2 && ops < maxOps
    if (k >= 1 && (k === 4 || !short)) break
    if (short) ops = roundUp(Math.min(maxOps, (ops * targetMs) / Math.max(ms, 0.001)), multipleOf)
  }
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    collectGarbage()
    const t0 = clock.now()
    run(ops)
    const ms = clock.now() - t0
    samples.push((ops * 1000) / ms)
  }
  return { perSec: median(samples), samples, ops }
}

/** Like measureRate for asynchronous work with a fixed `ops` per run (one warm-up run). */
export async function measureRateAsync(
  run: (ops: number) => Promise<void>,
  ops: number,
  runs = 5,
): Promise<RateResult> {
  await run(ops)
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    collectGarbage()
    const t0 = clock.now()
    await run(ops)
    const ms = clock.now() - t0
    samples.push((ops * 1000) / ms)
  }
  return { perSec: median(samples), samples, ops }
}

/** Throws a message naming what was counted when `actual !== expected`. */
export function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: counted ${actual}, expected ${expected}`)
}

/** 74_000_000 -> "74.0M", 2_400 -> "2.40k". */
export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return 'n/a'
  if (perSec >= 1e9) return `${(perSec / 1e9).toFixed(2)}G`
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(perSec >= 1e8 ? 0 : 1)}M`
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(perSec >= 1e5 ? 0 : 1)}k`
  return perSec.toFixed(0)
}

export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a'
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`
}

/** Deterministic PRNG (mulberry32), so every library sees the same topic sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
