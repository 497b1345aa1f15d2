import { describe, expect, it } from 'vitest'
import { NO_PREV, PrevTracker, SeqTracker } from './seq-tracker.js'

describe('SeqTracker', () => {
  it('accepts in-order events and drops stale ones', () => {
    const t = new SeqTracker()
    expect(t.check('a', 1, NO_PREV)).toBe('ok')
    expect(t.check('a', 2, 1)).toBe('ok')
    expect(t.check('a', 2, 1)).toBe('stale')
    expect(t.check('a', 1, NO_PREV)).toBe('stale')
    expect(t.check('b', 7, 3)).toBe('ok') // first sight of b: nothing to compare with
    expect(t.lastSeq('a')).toBe(2)
    expect(t.lastSeq('b')).toBe(7)
  })

  it('does not call skipped unshared seqs a gap, but a missed forwarded event is one', () => {
    const t = new SeqTracker()
    expect(t.check('a', 1, NO_PREV)).toBe('ok')
    expect(t.check('a', 5, 1)).toBe('ok') // 2..4 were local events: prev says nothing was missed
    expect(t.check('a', 9, 7)).toBe('gap') // the forwarded event 7 never arrived
    expect(t.check('a', 10, 9)).toBe('ok')
  })

  it('forgets the oldest origin when full', () => {
    const t = new SeqTracker(2)
    t.check('a', 1, NO_PREV)
    t.check('b', 1, NO_PREV)
    t.check('c', 1, NO_PREV)
    expect(t.origins).toBe(2)
    expect(t.lastSeq('a')).toBeUndefined()
    expect(t.lastSeq('c')).toBe(1)
  })
})

describe('PrevTracker', () => {
  it('returns the previous forwarded seq per origin', () => {
    const p = new PrevTracker()
    expect(p.next('a', 3)).toBe(NO_PREV)
    expect(p.next('a', 8)).toBe(3)
    expect(p.next('b', 1)).toBe(NO_PREV)
    expect(p.next('a', 9)).toBe(8)
  })
})
