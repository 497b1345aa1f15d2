import { describe, expect, it } from 'vitest'
import { expectCount, formatRate, formatRatio, measureRate, measureRateAsync, median, seededRandom } from './harness.ts'

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([])).toBeNaN()
  })
})

/** measureRate() over a workload whose first `coldRuns` runs cost 40 µs an op and later ones
 *  ~nothing; returns the result and the ops of every run. */
function withColdRuns(coldRuns: number) {
  let cold = coldRuns
  const calls: number[] = []
  const result = measureRate(
    (ops) => {
      calls.push(ops)
      if (cold > 0) {
        cold--
        const end = performance.now() + ops * 0.04
        while (performance.now() < end);
      }
    },
    { runs: 1, targetMs: 20, maxOps: 1_000_000 },
  )
  return { result, calls }
}

describe('measureRate', () => {
  it('times the requested number of runs with ops rounded to the given multiple', () => {
    const calls: number[] = []
    const r = measureRate((ops) => void calls.push(ops), { runs: 3, targetMs: 1, multipleOf: 7, maxOps: 700 })
    expect(r.samples).toHaveLength(3)
    expect(r.ops % 7).toBe(0)
    expect(r.ops).toBeLessThanOrEqual(700)
    // calibration runs, one warm-up run, then three timed runs with the final ops
    expect(calls.slice(-4)).toEqual([r.ops, r.ops, r.ops, r.ops])
    expect(r.perSec).toBe(median(r.samples))
  })

  it('sizes the timed runs on a warm run, not on the cold calibration runs', () => {
    // Sized on the calibration run alone, the timed runs would do 500 ops.
    const { result, calls } = withColdRuns(1)
    expect(result.ops).toBe(1_000_000)
    expect(calls.at(-1)).toBe(1_000_000)
  })

  it('sizes the timed runs on a warm run when the first warm-up run is still cold', () => {
    // As when a cache is still growing: sized on the first warm-up run, the timed runs would do
    // ~500 ops.
    const { result, calls } = withColdRuns(2)
    // (Sized on the first warm-up run, which is cold, the timed runs would do a few hundred ops.)
    expect(calls[0]).toBe(1000)
    expect(result.ops).toBe(1_000_000)
  })

  it('propagates a failed verification instead of reporting a rate', () => {
    expect(() => measureRate((ops) => expectCount('deliveries', ops - 1, ops), { runs: 1 })).toThrow(
      /deliveries: counted 999, expected 1000/,
    )
  })

  it('async: one warm-up run, then the timed runs', async () => {
    let calls = 0
    const r = await measureRateAsync(async () => void calls++, 10, 4)
    expect(calls).toBe(5)
    expect(r.samples).toHaveLength(4)
    expect(r.ops).toBe(10)
  })
})

describe('formatting', () => {
  it('formats rates and ratios', () => {
    expect(formatRate(74_000_000)).toBe('74.0M')
    expect(formatRate(230_000_000)).toBe('230M')
    expect(formatRate(2_400)).toBe('2.4k')
    expect(formatRate(409_000)).toBe('409k')
    expect(formatRate(12)).toBe('12')
    expect(formatRate(Number.NaN)).toBe('n/a')
    expect(formatRatio(0.5)).toBe('0.50x')
    expect(formatRatio(12.34)).toBe('12.3x')
  })
})

describe('seededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = seededRandom(7)
    const b = seededRandom(7)
    const xs = Array.from({ length: 1000 }, () => a())
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs)
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true)
    expect(new Set(xs).size).toBe(1000)
  })
})
