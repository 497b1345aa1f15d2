// The wildcard routing workload: P patterns with distinct literal first segments (one third each
// exact `sK.b.c`, `sK.*.c` and `sK.**`) and a shuffled cycle of distinct topics of which a share
// match exactly one pattern; the rest miss either at the first segment or further in (near misses).
import { seededRandom } from '../harness.ts'

export interface WildcardWorkload {
  patterns: string[]
  /** One publish cycle; every topic in it is distinct. */
  cycle: string[]
  /** Deliveries each pattern receives per cycle. */
  perPattern: Int32Array
  /** Topics in the cycle that match a pattern. */
  matching: number
}

const shapeOf = (k: number): 0 | 1 | 2 => (k % 3) as 0 | 1 | 2

export function wildcardPattern(k: number): string {
  const shape = shapeOf(k)
  return shape === 0 ? `s${k}.b.c` : shape === 1 ? `s${k}.*.c` : `s${k}.**`
}

export function wildcardWorkload(patternCount: number, cycleLength = 10_000, matchShare = 0.1, seed = 42): WildcardWorkload {
  const random = seededRandom(seed)
  const pick = (n: number) => Math.floor(random() * n)
  const patterns = Array.from({ length: patternCount }, (_, k) => wildcardPattern(k))
  const perPattern = new Int32Array(patternCount)
  const topics = new Set<string>()
  const matching = Math.round(cycleLength * matchShare)
  let serial = 0
  while (topics.size < matching) {
    const k = pick(patternCount)
    const shape = shapeOf(k)
    const j = serial++
    const topic = shape === 0 ? `s${k}.b.c` : shape === 1 ? `s${k}.m${j}.c` : `s${k}.m${j}.e${j}`
    if (topics.has(topic)) continue
    topics.add(topic)
    perPattern[k] = (perPattern[k] ?? 0) + 1
  }
  while (topics.size < cycleLength) {
    const j = serial++
    if (j % 2 === 0) {
      topics.add(`u${j}.b.c`)
      continue
    }
    const k = pick(patternCount)
    const shape = shapeOf(k)
    if (shape === 2) continue // everything under sK matches `sK.**`: no near miss exists
    topics.add(shape === 0 ? `s${k}.b.x${j}` : `s${k}.m${j}.d`)
  }
  const cycle = [...topics]
  for (let i = cycle.length - 1; i > 0; i--) {
    const j = pick(i + 1)
    ;[cycle[i], cycle[j]] = [cycle[j] as string, cycle[i] as string]
  }
  return { patterns, cycle, perPattern, matching }
}
