// What every benchmark module returns; bench/run.mjs prints each as a markdown table.
// Node benchmarks: bench/*.bench.ts run by bench/run.mjs in Node.
// Browser benchmarks: packages/<pkg>/bench/*.browser-bench.ts, default export `() => Promise<BenchTable>`,
// loaded by bench/run.mjs in real headless Chromium through a Vite dev server.
export interface BenchTable {
  title: string
  columns: string[]
  rows: (string | number)[][]
  /** Free-text lines printed under the table (targets met or not, setup). */
  notes?: string[]
  /** Whether the benchmark verified its own correctness (counts, order). false fails the run. */
  ok: boolean
}
