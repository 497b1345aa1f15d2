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

/** The fastest of several rounds' measurements (noise from other processes only slows a run down);
 *  n/a when no round measured it, undefined when no round reported it. */
export function fastest<T extends { perSec: number }>(
  values: ReadonlyArray<T | NotApplicable | null | undefined>,
): T | NotApplicable | null | undefined {
  let best: T | undefined
  let other: NotApplicable | null | undefined
  for (const v of values) {
    if (v === undefined) continue
    if (v === null || isNotApplicable(v)) {
      if (other === undefined) other = v
      continue
    }
    if (!best || v.perSec > best.perSec) best = v
  }
  return best ?? other
}
