import { describe, expect, test } from 'vitest'
import { InvalidHistoryInputError, ReadFailure } from './errors.js'
import { compileWhere } from './where.js'

const ev = (data: unknown, extra: object = {}) => ({ type: 'x', data, ...extra })

const t = (op: string, operand: unknown, value: unknown) => compileWhere({ 'data.v': [op, operand] as never })!(ev({ v: value }))

describe('compileWhere', () => {
  test('seed 001 comparison and equality shorthand', () => {
    const p = compileWhere({ 'data.amount': ['>=', 500], 'data.account': 'ACC-123' })!
    expect(p(ev({ amount: 500, account: 'ACC-123' }))).toBe(true)
    expect(p(ev({ amount: 499, account: 'ACC-123' }))).toBe(false)
    expect(p(ev({ amount: 900, account: 'ACC-1' }))).toBe(false)
    // No coercion across types.
    expect(p(ev({ amount: '900', account: 'ACC-123' }))).toBe(false)
  })

  test('every operator', () => {
    expect([t('=', 1, 1), t('==', 1, 2), t('!=', 1, 2), t('>', 1, 2), t('<', 'b', 'a'), t('<=', 2, 2)]).toEqual([true, false, true, true, true, true])
    expect([t('in', [1, 2], 2), t('in', [1, 2], 3), t('not-in', [1], 3)]).toEqual([true, false, true])
    expect([t('contains', 'ell', 'hello'), t('contains', 2, [1, 2]), t('contains', 'z', 'hello')]).toEqual([true, true, false])
    expect([t('starts-with', 'he', 'hello'), t('starts-with', 'he', 5)]).toEqual([true, false])
    expect([t('exists', true, 0), t('exists', false, undefined), t('exists', true, undefined)]).toEqual([true, true, false])
  })

  test('paths reach any envelope field; missing paths do not match', () => {
    const p = compileWhere({ 'metadata.tenant': 'a', 'source.component': ['starts-with', 'pay'] })!
    expect(p(ev(null, { metadata: { tenant: 'a' }, source: { component: 'payments' } }))).toBe(true)
    expect(p(ev(null, {}))).toBe(false)
  })

  test('bad clauses throw InvalidHistoryInputError naming the field', () => {
    expect(() => compileWhere({ 'data.v': ['~', 1] as never })).toThrow(InvalidHistoryInputError)
    expect(() => compileWhere({ 'data.v': ['~', 1] as never })).toThrow(/query.where\['data.v'\].*operator must be one of/)
    expect(() => compileWhere({ 'data..v': 1 })).toThrow(/dot paths/)
    expect(() => compileWhere({ 'data.v': ['in', 3] })).toThrow(/needs an array/)
    expect(() => compileWhere({ 'data.v': ['exists', 'yes'] })).toThrow(/true or false/)
    expect(() => compileWhere([] as never)).toThrow(/must be an object/)
  })

  test('a condition that cannot read an event (a getter throws) does not match it, and says which event and path', () => {
    const seen: Array<[object, ReadFailure]> = []
    const p = compileWhere({ 'data.a.b.c': 1, 'data.n': 1 }, (e, f) => seen.push([e, f]))!
    const a = Object.defineProperty({}, 'b', {
      get() {
        throw new Error('boom')
      },
    })
    const bad = ev({ a, n: 1 })
    expect(p(bad)).toBe(false)
    expect(p(ev({ a: { b: { c: 1 } }, n: 1 }))).toBe(true)
    expect(seen).toHaveLength(1)
    expect(seen[0]![0]).toBe(bad)
    expect(seen[0]![1]).toBeInstanceOf(ReadFailure)
    expect([seen[0]![1].path, (seen[0]![1].cause as Error).message]).toEqual(['data.a.b.c', 'boom'])
    // Without a listener it still does not throw.
    expect(compileWhere({ 'data.a.b': 1 })!(bad)).toBe(false)
  })
})
