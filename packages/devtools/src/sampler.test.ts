import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createSampler } from './sampler.js'

/** Offers publishes seq from..to-1; returns the seqs kept. */
const offer = (s: ReturnType<typeof createSampler>, from: number, to: number) => {
  const kept: number[] = []
  for (let seq = from; seq < to; seq++) if (s.publish({ seq })) kept.push(seq)
  return kept
}

describe('createSampler', () => {
  it('keeps every publish under the rate, then at most maxPerSecond per window', () => {
    const s = createSampler(100, 1000, 0)
    expect(offer(s, 0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(offer(s, 100, 3000)).toEqual([])
    expect(s.tick(500)).toBe(2900)
    // no new window before a second has passed since it started
    expect(offer(s, 3000, 3010)).toEqual([])
    expect(s.tick(999)).toBe(10)
  })

  it('starts a window only from tick, a second after the last one started, with a stride fitted to the offered rate', () => {
    const s = createSampler(100, 1000, 0)
    offer(s, 0, 1000) // 1000 offered in the first window: 10x the rate
    expect(s.tick(1000)).toBe(900)
    // stride 10: multiples of 10, at most 100
    const kept = offer(s, 1000, 3000)
    expect(kept.length).toBe(100)
    expect(kept.every((seq) => seq % 10 === 0)).toBe(true)
    expect(kept[0]).toBe(1000)
    expect(kept.at(-1)).toBe(1990)
    // a 2.5 s window (a blocked main thread): the rate is per second, 2000 / 2.5 s = 800/s -> stride 8
    expect(s.tick(3500)).toBe(1900)
    expect(offer(s, 0, 80).length).toBe(10)
    // an idle window: back to stride 1
    expect(s.tick(4500)).toBe(70)
    expect(offer(s, 5, 10)).toEqual([5, 6, 7, 8, 9])
  })

  it('followers make their publish\'s choice; important items and followers share the item cap', () => {
    const s = createSampler(10, 15, 0)
    offer(s, 0, 40) // 40 offered: stride 4 next window
    s.tick(1000)
    const pubs = offer(s, 0, 40)
    expect(pubs).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36])
    // the followers of the kept publishes are kept, the others not
    expect([0, 1, 4, 5].map((seq) => s.follower(seq))).toEqual([true, false, true, false])
    // 10 publishes + 2 followers of 15 items: 3 important items left
    expect([1, 2, 3, 4].map(() => s.important())).toEqual([true, true, true, false])
    expect(s.follower(8)).toBe(false)
    expect(s.tick(1500)).toBe(30 + 2 + 1 + 1)
  })

  it('pause skips and counts everything until resumed', () => {
    const s = createSampler(100, 1000, 0)
    s.pause(true)
    expect(offer(s, 0, 5)).toEqual([])
    expect([s.follower(0), s.important()]).toEqual([false, false])
    expect(s.tick(10)).toBe(7)
    s.pause(false)
    expect(offer(s, 5, 8)).toEqual([5, 6, 7])
    expect(s.important()).toBe(true)
    expect(s.tick(20)).toBe(0)
  })

  it('never keeps more than maxPerSecond publishes or maxItemsPerSecond items in a window, and counts every item once', () => {
    // random offers (publishes, followers, important items) and ticks at random times
    const step = fc.oneof(
      fc.record({ op: fc.constant('publish' as const), n: fc.integer({ min: 1, max: 500 }) }),
      fc.record({ op: fc.constant('follower' as const), n: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ op: fc.constant('important' as const), n: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ op: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 1500 }) }),
    )
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(step, { maxLength: 60 }), (max, steps) => {
        const s = createSampler(max, max * 3, 0)
        let now = 0
        let windowStart = 0
        let seq = 0
        let offered = 0
        let kept = 0
        let skipped = 0
        let windowPublishes = 0
        let windowItems = 0
        for (const { op, n } of steps) {
          if (op === 'tick') {
            now += n
            skipped += s.tick(now)
            if (now - windowStart >= 1000) {
              windowStart = now
              windowPublishes = windowItems = 0
            }
            continue
          }
          for (let i = 0; i < n; i++) {
            offered++
            const ok = op === 'publish' ? s.publish({ seq: seq++ }) : op === 'follower' ? s.follower(seq - 1 - i) : s.important()
            if (!ok) continue
            kept++
            windowItems++
            if (op === 'publish') windowPublishes++
          }
          expect(windowPublishes).toBeLessThanOrEqual(max)
          expect(windowItems).toBeLessThanOrEqual(max * 3)
        }
        skipped += s.tick(now)
        expect(kept + skipped).toBe(offered)
      }),
    )
  })
})
