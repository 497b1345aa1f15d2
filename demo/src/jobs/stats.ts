// The heavy job itself, plain TypeScript with no Tidings in it: summary statistics over `items`
// pseudo-random numbers, computed in chunks so the caller can report progress and stop between
// chunks. The worker runs it; it would work the same on the page (and block it).
import type { StatsResult } from '../events.ts'

export const CHUNK = 10_000

/** mulberry32: a tiny seeded PRNG, so a job's result is reproducible (and testable). */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Running sums, so each chunk is folded in without keeping the items. */
export class StatsAccumulator {
  count = 0
  private sum = 0
  private sumSq = 0
  private min = Infinity
  private max = -Infinity
  // Values are in [0, 100): fixed buckets need no second pass.
  private readonly buckets = new Array<number>(10).fill(0)

  add(x: number): void {
    this.count++
    this.sum += x
    this.sumSq += x * x
    if (x < this.min) this.min = x
    if (x > this.max) this.max = x
    this.buckets[Math.min(9, Math.floor(x / 10))]! += 1
  }

  result(): StatsResult {
    const mean = this.count ? this.sum / this.count : 0
    const variance = this.count ? this.sumSq / this.count - mean * mean : 0
    return { count: this.count, mean, min: this.min, max: this.max, stddev: Math.sqrt(Math.max(0, variance)), histogram: this.buckets.slice() }
  }
}

/** A skewed distribution in [0, 100): sum of three uniforms (a soft bell) times a little work. */
export function item(next: () => number): number {
  let x = 0
  for (let i = 0; i < 3; i++) x += next()
  // Some arithmetic per item, so 200k items take long enough to watch (and cancel).
  for (let i = 0; i < 400; i++) x = x + Math.sin(x * i) * 1e-9
  return (x / 3) * 100
}
