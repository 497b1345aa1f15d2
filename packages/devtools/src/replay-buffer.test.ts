import { describe, expect, it } from 'vitest'
import type { TidingsEvent } from '@tidings/core'
import { ENVELOPE_BYTES, createReplayBuffer } from './replay-buffer.js'

const ev = (n: number): TidingsEvent => ({ id: `o:${n}`, type: 'a.b', timestamp: n, version: 1, data: n, origin: 'o', seq: n })
const size = (bytes: number, sized = true) => ({ bytes, sized, cut: false })

describe('ReplayBuffer', () => {
  it('evicts the oldest events to stay within its bytes and its count', () => {
    const b = createReplayBuffer(3000 + 3 * ENVELOPE_BYTES, 10)
    for (let n = 0; n < 5; n++) expect(b.hold(ev(n), size(1000))).toBe(true)
    expect(b.size).toBe(3)
    expect(b.bytes).toBe(3 * (1000 + ENVELOPE_BYTES))
    expect([0, 1, 2, 3, 4].map((n) => b.get(`o:${n}`)?.seq)).toEqual([undefined, undefined, 2, 3, 4])
    // a bigger one evicts as many as it needs
    expect(b.hold(ev(5), size(2000))).toBe(true)
    expect([3, 4, 5].map((n) => b.get(`o:${n}`) !== undefined)).toEqual([false, true, true])
    const counted = createReplayBuffer(1_000_000, 2)
    for (let n = 0; n < 4; n++) counted.hold(ev(n), size(10))
    expect(counted.size).toBe(2)
    expect(counted.get('o:3')?.seq).toBe(3)
  })

  it('never keeps an event of unknown size or larger than the budget, and keeps nothing when off', () => {
    const b = createReplayBuffer(10_000, 10)
    b.hold(ev(1), size(100))
    expect(b.hold(ev(2), size(100, false))).toBe(false)
    expect(b.hold(ev(3), size(10_000))).toBe(false)
    expect(b.size).toBe(1)
    expect(b.get('o:1')).toBeDefined()
    expect(createReplayBuffer(0, 10).hold(ev(1), size(1))).toBe(false)
    expect(createReplayBuffer(10_000, 0).hold(ev(1), size(1))).toBe(false)
    b.clear()
    expect([b.size, b.bytes]).toEqual([0, 0])
  })
})
