// Benchmark worker for the pool: a trivial handler, so the figures are the transport's.
import { registerHandlers } from '../src/index.ts'

registerHandlers({
  add: (e) => (e.data as { n: number }).n + 1,
})
