// Real Web Locks in headless Chromium: several elections in one page compete for one lock like
// several tabs do (locks are per origin, not per page).
import { afterEach, describe, expect, it } from 'vitest'
import { electLeader, type LeaderElection } from './leader.js'
import { sleep, uniqueChannel, waitFor } from './test-helpers.js'

const open: LeaderElection[] = []
afterEach(async () => {
  for (const e of open.splice(0)) await e.close()
})

function candidate(name: string): LeaderElection {
  const e = electLeader(name)
  open.push(e)
  return e
}

const leaders = (list: LeaderElection[]) => list.filter((e) => e.isLeader)

describe('electLeader', () => {
  it('elects exactly one leader and hands over on abdicate and close', async () => {
    const name = uniqueChannel('lead')
    const a = candidate(name)
    await a.whenLeader()
    const b = candidate(name)
    const c = candidate(name)
    await sleep(50)
    expect(leaders([a, b, c])).toEqual([a])

    const seenB: boolean[] = []
    b.isLeader$.subscribe((v) => seenB.push(v))
    await a.abdicate()
    await b.whenLeader()
    expect(leaders([a, b, c])).toEqual([b])
    expect(seenB).toEqual([false, true])

    await b.close()
    await c.whenLeader() // c waited longer than a, which re-queued behind it
    expect(leaders([a, b, c])).toEqual([c])
    await c.close()
    await a.whenLeader()
    expect(leaders([a, b, c])).toEqual([a])
    expect(b.closed && c.closed).toBe(true)
  })

  it('never has two leaders while candidates come, abdicate and go', async () => {
    const name = uniqueChannel('lead')
    const all: LeaderElection[] = []
    let maxLeaders = 0
    let samples = 0
    const timer = setInterval(() => {
      maxLeaders = Math.max(maxLeaders, leaders(all).length)
      samples++
    }, 1)
    try {
      for (let i = 0; i < 5; i++) all.push(candidate(name))
      for (let round = 0; round < 15; round++) {
        const current = leaders(all)
        expect(current.length).toBeLessThanOrEqual(1)
        if (current[0]) {
          if (round % 3 === 2) {
            await current[0].close()
            all.push(candidate(name))
          } else await current[0].abdicate()
        }
        await waitFor(() => leaders(all).length === 1, 'a new leader')
      }
    } finally {
      clearInterval(timer)
    }
    expect(samples).toBeGreaterThan(5)
    expect(maxLeaders).toBe(1)
  })

  it('abdicate({ rejoin: false }) leaves the line; close() rejects pending whenLeader', async () => {
    const name = uniqueChannel('lead')
    const a = candidate(name)
    await a.whenLeader()
    await a.abdicate({ rejoin: false })
    await sleep(50)
    expect(a.isLeader).toBe(false)
    const b = candidate(name)
    await b.whenLeader()
    const c = candidate(name)
    const pending = c.whenLeader()
    await c.close()
    await expect(pending).rejects.toMatchObject({ name: 'TabsClosedError' })
    await expect(c.whenLeader()).rejects.toMatchObject({ name: 'TabsClosedError' })
  })

  it('leaderElsewhere() tells "another context leads" from "this one leads" and "nobody does"', async () => {
    const name = uniqueChannel('elsewhere')
    const a = candidate(name)
    // Before a's lock callback ran, a may or may not hold the lock: never "elsewhere" once it leads.
    await a.whenLeader()
    expect(await a.leaderElsewhere()).toBe(false)
    const b = candidate(name)
    expect(await b.leaderElsewhere()).toBe(true)
    await a.close()
    await b.whenLeader()
    expect(await b.leaderElsewhere()).toBe(false)
    expect(await a.leaderElsewhere()).toBe(false) // closed
    await b.close()
    const lone = candidate(uniqueChannel('nobody'))
    await lone.close()
    expect(await lone.leaderElsewhere()).toBe(false)
  })

  it('refuses a bad name with a typed error', () => {
    expect(() => electLeader('')).toThrow(expect.objectContaining({ name: 'TabsOptionError' }))
  })
})
