import { describe, expect, it } from 'vitest'
import { NO_PREV } from './codec.js'
import { MAX_SEQ_JUMP, PrevTable, SessionTable } from './sessions.js'

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

describe('PrevTable', () => {
  it('gives the previous seq forwarded per session', () => {
    const p = new PrevTable()
    expect([p.next('o', 'i', 1), p.next('o', 'i', 5), p.next('o', 'j', 2), p.next('o', 'i', 6)]).toEqual([NO_PREV, 1, NO_PREV, 5])
  })
})
