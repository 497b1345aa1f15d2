import { describe, expect, it } from 'vitest'
import { RingQueue } from './bounded-queue.js'

describe('RingQueue', () => {
  it('is FIFO across wrap-around and growth', () => {
    const q = new RingQueue<number>()
    const out: number[] = []
    let next = 0
    // Interleave pushes and shifts so head wraps several times while the array grows.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) q.push(next++)
      for (let i = 0; i < 3; i++) out.push(q.shift()!)
    }
    expect(q.size).toBe(50 * 4)
    expect(q.peek()).toBe(out.length)
    while (q.size) out.push(q.shift()!)
    expect(out).toEqual(Array.from({ length: 350 }, (_, i) => i))
    expect(q.shift()).toBeUndefined()
    expect(q.peek()).toBeUndefined()
  })

  it('grows by doubling to the next power of two and shrinks after a burst', () => {
    const q = new RingQueue<number>()
    expect(q.capacity).toBe(16)
    for (let i = 0; i < 1_000_000; i++) q.push(i)
    expect(q.capacity).toBe(1 << 20)
    let wrong = 0
    for (let i = 0; i < 999_990; i++) if (q.shift() !== i) wrong++
    expect(wrong).toBe(0)
    expect(q.size).toBe(10)
    expect(q.capacity).toBeLessThanOrEqual(1024)
    expect(q.takeAll()).toEqual([999_990, 999_991, 999_992, 999_993, 999_994, 999_995, 999_996, 999_997, 999_998, 999_999])
    expect(q.size).toBe(0)
  })

  it('takeAll returns oldest first after wrapping and leaves the queue empty', () => {
    const q = new RingQueue<string>(4)
    for (const s of ['a', 'b', 'c', 'd', 'e']) q.push(s)
    expect(q.shift()).toBe('a')
    q.push('f')
    expect(q.takeAll()).toEqual(['b', 'c', 'd', 'e', 'f'])
    q.push('g')
    expect(q.takeAll()).toEqual(['g'])
  })
})
