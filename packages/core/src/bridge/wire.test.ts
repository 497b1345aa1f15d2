import { describe, expect, it } from 'vitest'
import { isId, isNat, readTagged } from './wire.js'

describe('readTagged', () => {
  it('classifies by tag, version and kind', () => {
    expect(readTagged({ tag: 'tidings.x', v: 1, kind: 'hello', a: 1 }, 'tidings.x', 1)).toEqual({ status: 'ok', kind: 'hello', msg: { tag: 'tidings.x', v: 1, kind: 'hello', a: 1 } })
    expect(readTagged({ tag: 'other', v: 1, kind: 'hello' }, 'tidings.x', 1)).toEqual({ status: 'foreign' })
    expect(readTagged('text', 'tidings.x', 1)).toEqual({ status: 'foreign' })
    expect(readTagged(null, 'tidings.x', 1)).toEqual({ status: 'foreign' })
    expect(readTagged([1], 'tidings.x', 1)).toEqual({ status: 'foreign' })
    const v2 = readTagged({ tag: 'tidings.x', v: 2, kind: 'hello' }, 'tidings.x', 1)
    expect(v2).toEqual({ status: 'malformed', reason: 'unsupported tidings.x protocol version 2 (this side speaks 1)' })
    expect(readTagged({ tag: 'tidings.x', v: 1 }, 'tidings.x', 1)).toEqual({ status: 'malformed', reason: 'tidings.x message without a kind' })
    expect(readTagged({ tag: 'tidings.x', v: 1, kind: 'k'.repeat(41) }, 'tidings.x', 1).status).toBe('malformed')
  })

  it('turns throwing getters into malformed, never an exception', () => {
    const hostile = {
      tag: 'tidings.x',
      get v(): number {
        throw new Error('boom')
      },
    }
    expect(readTagged(hostile, 'tidings.x', 1)).toEqual({ status: 'malformed', reason: 'tidings.x message could not be read: Error: boom' })
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    expect(readTagged(revoked.proxy, 'tidings.x', 1)).toEqual({ status: 'malformed', reason: expect.stringContaining('could not be read') as unknown as string })
  })
})

describe('guards', () => {
  it('isId bounds length and type', () => {
    expect([isId('a'), isId(''), isId('x'.repeat(200)), isId('x'.repeat(201)), isId(1)]).toEqual([true, false, true, false, false])
  })
  it('isNat takes safe integers >= 0 only', () => {
    expect([isNat(0), isNat(5), isNat(-1), isNat(1.5), isNat(Number.MAX_SAFE_INTEGER), isNat(2 ** 53), isNat(NaN), isNat('1')]).toEqual([true, true, false, false, true, false, false, false])
  })
})
