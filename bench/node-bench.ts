// Contract of a Node benchmark module measured one library per process (see lib/node-runner.mjs):
//   export const libraries: string[]
//   export async function measure(library: string): Promise<R>       // runs in that library's process
//   export function report(outcomes: Outcomes<R>): BenchTable | BenchTable[]   // runs in the runner
// R crosses a process boundary as JSON: plain data only (no NaN/Infinity: use null).
export type Outcome<R> = { ok: true; result: R } | { ok: false; error: string }
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
