import { describe, expect, it, vi } from 'vitest'
import { now } from './clock.js'
import { EventIds } from './event-id.js'

describe('EventIds', () => {
  it('produces `${origin}:${seq}` exactly, across the table boundaries', () => {
    const ids = new EventIds('o')
    const seen: string[] = []
    for (let seq = 0; seq < 1_001_500; seq++) {
      const id = ids.next()
      if (id !== `o:${seq}`) throw new Error(`wrong id ${id} at ${seq}`)
      if (seq === 0 || seq === 999 || seq === 1000 || seq === 1_000_001) seen.push(id)
    }
    expect(seen).toEqual(['o:0', 'o:999', 'o:1000', 'o:1000001'])
  })
})

describe('coarse clock', () => {
  it('reads Date.now at most once per 32 calls within one synchronous burst', async () => {
    await Promise.resolve() // a new microtask turn resets the burst
    const spy = vi.spyOn(Date, 'now')
    try {
      for (let i = 0; i < 100; i++) now()
      expect(spy).toHaveBeenCalledTimes(4) // calls 1, 33, 65, 97
    } finally {
      spy.mockRestore()
    }
  })

  it('tracks Date.now across tasks', async () => {
    const a = now()
    expect(Math.abs(a - Date.now())).toBeLessThanOrEqual(5)
    await new Promise((r) => setTimeout(r, 30))
    expect(now() - a).toBeGreaterThanOrEqual(25)
  })
})
