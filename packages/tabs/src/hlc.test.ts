import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_SKEW_MS, HybridClock, MAX_COUNTER, compareStamps, isStamp, type Stamp } from './hlc.js'

describe('HybridClock', () => {
  it('is monotonic when the wall clock stands still or goes back', () => {
    let now = 1000
    const c = new HybridClock('a', () => now)
    const s1 = c.tick()
    const s2 = c.tick()
    now = 900 // clock stepped back
    const s3 = c.tick()
    expect([s1, s2, s3].map((s) => [s.t, s.c])).toEqual([
      [1000, 0],
      [1000, 1],
      [1000, 2],
    ])
    now = 1001
    expect(c.tick()).toEqual({ t: 1001, c: 0, o: 'a' })
  })

  it('orders a write after one it has seen, even from a clock that runs ahead', () => {
    let now = 1000
    const a = new HybridClock('a', () => now)
    const b = new HybridClock('b', () => now)
    const remote: Stamp = { t: 5000, c: 3, o: 'b' } // b's clock is 4 s ahead
    a.observe(remote)
    const mine = a.tick()
    expect(compareStamps(mine, remote)).toBe(1)
    expect(mine.t).toBe(5000)
    now = 1200
    expect(compareStamps(b.tick(), mine)).toBe(-1) // b has not seen it: its stamp is older
  })

  it('breaks ties by origin id, giving a total order', () => {
    const x: Stamp = { t: 1, c: 0, o: 'x' }
    const y: Stamp = { t: 1, c: 0, o: 'y' }
    expect(compareStamps(x, y)).toBe(-1)
    expect(compareStamps(y, x)).toBe(1)
    expect(compareStamps(x, { ...x })).toBe(0)
    expect(compareStamps({ t: 1, c: 2, o: 'a' }, { t: 1, c: 1, o: 'z' })).toBe(1)
  })

  it('recognises valid stamps only', () => {
    expect(isStamp({ t: 1, c: 0, o: 'a' })).toBe(true)
    expect(isStamp({ t: 1.5, c: 0, o: 'a' })).toBe(false)
    expect(isStamp({ t: 1, c: -1, o: 'a' })).toBe(false)
    expect(isStamp({ t: 1, c: 0, o: '' })).toBe(false)
    expect(isStamp(null)).toBe(false)
    expect(isStamp('x')).toBe(false)
  })

  it('refuses a stamp it could not go on from, and stays as it was', () => {
    const now = 1_000_000
    const a = new HybridClock('a', () => now)
    expect(DEFAULT_MAX_SKEW_MS).toBe(60_000)
    const poison: Stamp = { t: now + 1000, c: Number.MAX_SAFE_INTEGER, o: 'm' }
    expect(a.refuses(poison)).toBe('counter')
    expect(a.observe(poison)).toBe(false)
    expect(a.observe({ t: now + 2 * 60_000, c: 0, o: 'm' })).toBe(false)
    expect(a.refuses({ t: now + 60_001, c: 0, o: 'm' })).toBe('future')
    // Nothing moved: the next local write is stamped from the wall clock.
    expect(a.tick()).toEqual({ t: now, c: 0, o: 'a' })
    expect(a.observe({ t: now + 30_000, c: 5, o: 'b' })).toBe(true)
    expect(a.tick()).toEqual({ t: now + 30_000, c: 7, o: 'a' })
  })

  it('carries a full counter into t, and refuses a stamp whose carry would be too far ahead', () => {
    const now = 1_000_000
    const a = new HybridClock('a', () => now)
    const b = new HybridClock('b', () => now)
    // At the edge with a full counter, the next stamp would be 1 ms beyond the edge: refused.
    expect(a.refuses({ t: now + 60_000, c: MAX_COUNTER, o: 'm' })).toBe('future')
    expect(a.refuses({ t: now + 60_000, c: MAX_COUNTER - 1, o: 'm' })).toBeUndefined()
    const full: Stamp = { t: now + 59_999, c: MAX_COUNTER, o: 'm' }
    expect(a.observe(full)).toBe(true)
    const mine = a.tick()
    expect(mine).toEqual({ t: now + 60_000, c: 1, o: 'a' })
    expect(compareStamps(mine, full)).toBe(1)
    // What the clock makes after a stamp it took, other clocks take too.
    expect(b.refuses(mine)).toBeUndefined()
    expect(b.observe(mine)).toBe(true)
    expect(b.tick()).toEqual({ t: now + 60_000, c: 3, o: 'b' })
  })

  it('takes the bound on future skew as an option', () => {
    const now = 1_000_000
    const wide = new HybridClock('w', () => now, 5 * 60_000)
    expect(wide.observe({ t: now + 2 * 60_000, c: 0, o: 'm' })).toBe(true)
    const strict = new HybridClock('s', () => now, 0)
    expect(strict.refuses({ t: now + 1, c: 0, o: 'm' })).toBe('future')
    expect(strict.refuses({ t: now, c: 0, o: 'm' })).toBeUndefined()
  })
})
