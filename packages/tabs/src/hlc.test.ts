import { describe, expect, it } from 'vitest'
import { HybridClock, compareStamps, isStamp, type Stamp } from './hlc.js'

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
})
