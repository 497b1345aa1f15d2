// The envelope clock (clock.ts): Date.now() is read at the first publish of every task and then,
// within one synchronous burst, every 32 reads while the clock moves, up to every 512 while it
// does not. Date.now() is replaced by a counter here, so each test can see exactly when it is read.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { now } from './clock.js'

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0))
/** Each fake clock starts far past the last one, so a task's first read always finds it moved. */
let base = 1_000_000

/** Calls now() `reads` times in one burst; returns the indexes of the reads that called
 *  Date.now(), with `step` ms added to the fake clock at each call. */
function burst(reads: number, step: number): number[] {
  let t = (base += 1_000_000)
  const refreshedAt: number[] = []
  let i = 0
  vi.spyOn(Date, 'now').mockImplementation(() => {
    refreshedAt.push(i)
    return (t += step)
  })
  for (; i < reads; i++) now()
  return refreshedAt
}

afterEach(async () => {
  vi.restoreAllMocks()
  await nextTask() // a new task: the next test's first read re-reads the clock
})

describe('the envelope clock', () => {
  it('reads Date.now() at the first read of a task, then reuses it within the burst', async () => {
    await nextTask()
    const t = (base += 1_000_000)
    const spy = vi.spyOn(Date, 'now').mockReturnValue(t)
    expect([now(), now(), now()]).toEqual([t, t, t])
    expect(spy).toHaveBeenCalledTimes(1)
    spy.mockReturnValue(t + 7)
    expect(now()).toBe(t) // same burst
    await nextTask()
    expect(now()).toBe(t + 7) // a new task reads it again
    expect(spy).toHaveBeenCalledTimes(2)
  })

  it('re-reads every 32 reads while the clock moves by 2 ms or more between reads', async () => {
    await nextTask()
    expect(burst(200, 2)).toEqual([0, 32, 64, 96, 128, 160, 192])
  })

  it('doubles the interval while the clock moves by at most 1 ms, up to every 512 reads', async () => {
    await nextTask()
    // The first read of a task always finds the clock moved (the cache is from an earlier task):
    // 32 reads, then 64, 128, 256 and 512, and 512 from then on.
    expect(burst(3000, 0)).toEqual([0, 32, 96, 224, 480, 992, 1504, 2016, 2528])
    await nextTask()
    expect(burst(1000, 1)).toEqual([0, 32, 96, 224, 480, 992])
  })

  it('goes back to every 32 reads as soon as the clock moves more', async () => {
    await nextTask()
    const t0 = (base += 1_000_000)
    let t = t0
    const refreshedAt: number[] = []
    let i = 0
    vi.spyOn(Date, 'now').mockImplementation(() => {
      refreshedAt.push(i)
      // Still until read 480, then 5 ms a read (the handlers became slow).
      return i < 480 ? t : (t += 5)
    })
    const stamps: number[] = []
    for (; i < 600; i++) stamps.push(now())
    expect(refreshedAt).toEqual([0, 32, 96, 224, 480, 512, 544, 576])
    // No read lags its burst's clock by more than the interval it was in.
    expect(stamps[479]).toBe(t0)
    expect(stamps[480]).toBe(t0 + 5)
  })

  it('counts a clock that went back as moved', async () => {
    await nextTask()
    expect(burst(40, 0)).toEqual([0, 32]) // then every 64: the next is read 96
    let t = base
    const refreshedAt: number[] = []
    let i = 40
    vi.spyOn(Date, 'now').mockImplementation(() => {
      refreshedAt.push(i)
      return (t -= 1)
    })
    for (; i < 200; i++) now()
    expect(refreshedAt).toEqual([96, 128, 160, 192])
  })

  it('tracks the real Date.now() across tasks', async () => {
    await nextTask()
    const a = now()
    expect(Math.abs(a - Date.now())).toBeLessThanOrEqual(5)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(now() - a).toBeGreaterThanOrEqual(25)
  })

  it('starts at 32 in a new task even when the clock has not moved since the last one', async () => {
    await nextTask()
    const t = (base += 1_000_000)
    const spy = vi.spyOn(Date, 'now').mockReturnValue(t)
    for (let i = 0; i < 40; i++) now() // reads at 0 and 32: the interval is 64 now
    expect(spy).toHaveBeenCalledTimes(2)
    await nextTask()
    for (let i = 0; i < 40; i++) now() // the same millisecond: 0 and 32 again, not 0 and 64
    expect(spy).toHaveBeenCalledTimes(4)
  })

  it('starts again at 32 in every new task', async () => {
    await nextTask()
    expect(burst(600, 0)).toEqual([0, 32, 96, 224, 480])
    await nextTask()
    expect(burst(100, 0)).toEqual([0, 32, 96])
  })
})
