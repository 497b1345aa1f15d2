import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NO_PREV } from './codec.js'
import { MAX_SEQ_JUMP, PrevTable, SessionTable, type SessionVerdict } from './sessions.js'

/** The rules of SessionTable.check/observe for one session, written plainly (a set of every seq
 *  in a ring of `window`), to hold the table's faster bookkeeping against. */
class Model {
  high = -1
  seen = new Set<number>()
  ring: number[] = []
  next = 0
  private readonly window: number
  constructor(window: number) {
    this.window = window
  }
  private remember(seq: number): void {
    if (this.ring.length < this.window) this.ring.push(seq)
    else {
      this.seen.delete(this.ring[this.next]!)
      this.ring[this.next] = seq
      this.next = (this.next + 1) % this.window
    }
    this.seen.add(seq)
  }
  check(seq: number, prev: number): SessionVerdict {
    if (this.seen.has(seq)) return 'duplicate'
    this.remember(seq)
    const high = this.high
    if (high < 0) {
      this.high = seq
      return 'ok'
    }
    if (seq - high > MAX_SEQ_JUMP) {
      if (prev === high) this.high = seq
      return 'implausible'
    }
    if (seq < high) return 'late'
    this.high = seq
    return prev !== NO_PREV && prev > high ? 'gap' : 'ok'
  }
  observe(seq: number): void {
    if (this.seen.has(seq)) return
    this.remember(seq)
    if (seq > this.high && (this.high < 0 || seq - this.high <= MAX_SEQ_JUMP)) this.high = seq
  }
}

describe('SessionTable', () => {
  it('drops exact duplicates only, and reports gaps by prev', () => {
    const t = new SessionTable()
    expect(t.check('o', 'i', 1, NO_PREV)).toBe('ok')
    expect(t.check('o', 'i', 2, 1)).toBe('ok')
    expect(t.check('o', 'i', 2, 1)).toBe('duplicate')
    expect(t.check('o', 'i', 6, 4)).toBe('gap') // 4 was forwarded, never arrived
    expect(t.check('o', 'i', 9, 6)).toBe('ok') // 7, 8 were never shared: no gap
    expect(t.check('o', 'i', 5, NO_PREV)).toBe('late') // below the highest, but not seen: delivered
    expect(t.check('o', 'i', 5, NO_PREV)).toBe('duplicate')
  })

  it('hears a new incarnation of a known origin from seq 0', () => {
    const t = new SessionTable()
    for (let s = 0; s < 50; s++) expect(t.check('tab-1', 'first', s, s - 1)).toBe('ok')
    for (let s = 0; s < 50; s++) expect(t.check('tab-1', 'second', s, s - 1)).toBe('ok')
    expect(t.size).toBe(2)
  })

  it('a forged seq of 2^53 - 1 does not mute the real session', () => {
    const t = new SessionTable()
    for (let s = 0; s < 10; s++) t.check('tab-1', 'i', s, s - 1)
    expect(t.check('tab-1', 'i', Number.MAX_SAFE_INTEGER, NO_PREV)).toBe('implausible')
    const verdicts = Array.from({ length: 100 }, (_, k) => t.check('tab-1', 'i', 10 + k, 9 + k))
    expect(verdicts.every((v) => v === 'ok')).toBe(true)
    // ...and a real gap is still seen afterwards.
    expect(t.check('tab-1', 'i', 200, 150)).toBe('gap')
  })

  it('a forger that also fakes prev can blind gap detection, but still not mute anyone', () => {
    const t = new SessionTable()
    for (let s = 0; s < 10; s++) t.check('tab-1', 'i', s, s - 1)
    expect(t.check('tab-1', 'i', Number.MAX_SAFE_INTEGER - 1, 9)).toBe('implausible')
    // 'late': below the (forged) highest seq, and delivered.
    const verdicts = Array.from({ length: 100 }, (_, k) => t.check('tab-1', 'i', 10 + k, 9 + k))
    expect(verdicts.every((v) => v === 'late')).toBe(true)
  })

  it('a real big jump that continues the chain moves the baseline', () => {
    const t = new SessionTable()
    t.check('o', 'i', 0, NO_PREV)
    expect(t.check('o', 'i', MAX_SEQ_JUMP + 10, 0)).toBe('implausible')
    expect(t.check('o', 'i', MAX_SEQ_JUMP + 12, MAX_SEQ_JUMP + 11)).toBe('gap')
  })

  it('stays bounded: sessions by recency, seqs by a window', () => {
    const t = new SessionTable({ window: 4, maxSessions: 3 })
    for (const s of ['a', 'b', 'c']) t.check('o', s, 0, NO_PREV)
    t.check('o', 'a', 1, 0) // 'a' is now the most recent
    t.check('o', 'd', 0, NO_PREV) // evicts 'b', the least recently heard
    expect(t.size).toBe(3)
    expect(t.check('o', 'a', 1, 0)).toBe('duplicate')
    expect(t.check('o', 'b', 0, NO_PREV)).toBe('ok') // forgotten: heard again
    for (let s = 10; s < 20; s++) t.check('o', 'a', s, s - 1)
    expect(t.check('o', 'a', 10, 9)).toBe('late') // out of the window of 4: delivered again
    expect(t.check('o', 'a', 19, 18)).toBe('duplicate')
  })

  it('observe() makes an own event a duplicate when it comes back', () => {
    const t = new SessionTable()
    t.observe('w', 'i', 3)
    expect(t.check('w', 'i', 3, NO_PREV)).toBe('duplicate')
    expect(t.check('w', 'i', 4, 3)).toBe('ok')
  })
})

describe('SessionTable against the plain model', () => {
  it('gives the same verdicts for in-order runs, replays, reordering, jumps and observe, across the window', () => {
    // Steps: a run of increasing seqs (the usual stream), a replay or reorder of a recent seq, a
    // jump (far, or implausible), or a seq this context sent itself (observe).
    const step = fc.oneof(
      fc.record({ kind: fc.constant('run' as const), n: fc.integer({ min: 1, max: 12 }), stride: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('back' as const), by: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('jump' as const), by: fc.constantFrom(5, 40, MAX_SEQ_JUMP + 1) }),
      fc.record({ kind: fc.constant('observe' as const), by: fc.integer({ min: -10, max: 10 }) }),
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 9 }), (steps, window) => {
        const table = new SessionTable({ window })
        const model = new Model(window)
        let last = -1
        const got: string[] = []
        const want: string[] = []
        const check = (seq: number, prev: number) => {
          got.push(table.check('o', 'i', seq, prev))
          want.push(model.check(seq, prev))
        }
        for (const st of steps) {
          if (st.kind === 'run') {
            for (let k = 0; k < st.n; k++) {
              const seq = last + st.stride
              check(seq, last)
              last = seq
            }
          } else if (st.kind === 'back') check(Math.max(0, last - st.by), NO_PREV)
          else if (st.kind === 'jump') {
            const seq = Math.max(0, last) + st.by
            check(seq, last)
            last = seq
          } else {
            const seq = Math.max(0, last + st.by)
            table.observe('o', 'i', seq)
            model.observe(seq)
          }
        }
        expect(got).toEqual(want)
      }),
      { numRuns: 400 },
    )
  })
})

describe('PrevTable', () => {
  it('gives the previous seq forwarded per session', () => {
    const p = new PrevTable()
    expect([p.next('o', 'i', 1), p.next('o', 'i', 5), p.next('o', 'j', 2), p.next('o', 'i', 6)]).toEqual([NO_PREV, 1, NO_PREV, 5])
  })
})
