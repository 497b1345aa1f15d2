// Contract of a Node benchmark module measured one library per process (see lib/node-runner.mjs):
//   export const libraries: string[]
//   export const rounds = 2   // optional: process rounds per library, interleaved across libraries
//   export async function measure(library: string, round: number): Promise<R>   // in that library's process
//   export function report(outcomes: Outcomes<R>): BenchTable | BenchTable[]   // in the runner
// R crosses a process boundary as JSON: plain data only (no NaN/Infinity: use null).
export type Outcome<R> = { ok: true; rounds: R[] } | { ok: false; error: string }
export type Outcomes<R> = Partial<Record<string, Outcome<R>>>

/** `n/a` with a reason, for a measurement a library cannot do (no wildcards, not implemented). */
export interface NotApplicable {
  na: string
}

export function isNotApplicable(x: unknown): x is NotApplicable {
  return typeof x === 'object' && x !== null && typeof (x as { na?: unknown }).na === 'string'
}

/** Logs progress from a benchmark process (stderr; stdout carries the result). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`)
}

/** One measurement that threw (a wrong count, a wrong reply): shown as FAILED, the run fails,
 *  and the library's other measurements are still reported. */
export interface Failed {
  failed: string
}

export function isFailed(x: unknown): x is Failed {
  return typeof x === 'object' && x !== null && typeof (x as { failed?: unknown }).failed === 'string'
}

/** Runs one measurement; an error becomes a Failed entry (first line of its message). */
export async function attempt<T>(label: string, fn: () => T | Promise<T>): Promise<T | Failed> {
  try {
    return await fn()
  } catch (e) {
    const failed = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
    progress(`${label}: FAILED ${e instanceof Error ? (e.stack ?? failed) : failed}`)
    return { failed: failed.split('\n')[0] ?? failed }
  }
}

/** The fastest of several rounds' measurements (noise from other processes only slows a run down);
 *  a failure in any round wins; n/a when no round measured it; undefined when no round reported it. */
export function fastest<T extends { perSec: number }>(
  values: ReadonlyArray<T | NotApplicable | Failed | null | undefined>,
): T | NotApplicable | Failed | null | undefined {
  let best: T | undefined
  let other: NotApplicable | null | undefined
  for (const v of values) {
    if (v === undefined) continue
    if (isFailed(v)) return v
    if (v === null || isNotApplicable(v)) {
      if (other === undefined) other = v
      continue
    }
    if (!best || v.perSec > best.perSec) best = v
  }
  return best ?? other
}

/** Median and range of one figure over process rounds. */
export interface Spread {
  median: number
  min: number
  max: number
  /** Rounds that measured it. */
  n: number
}

export function spreadOf(values: ReadonlyArray<number | undefined>): Spread | undefined {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b)
  if (xs.length === 0) return undefined
  const mid = xs.length >> 1
  const median = xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2
  return { median, min: xs[0]!, max: xs[xs.length - 1]!, n: xs.length }
}

/** "±4%": half the range over rounds, relative to the median. */
export function formatSpread(s: Spread): string {
  if (s.n < 2 || s.median === 0) return ''
  return ` ±${Math.round(((s.max - s.min) / 2 / Math.abs(s.median)) * 100)}%`
}
