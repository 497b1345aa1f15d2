import { expect, test } from 'vitest'
import { planQuery } from './plan.ts'

test('exact types scan [type, time], correlation scans its chain, globs scan time and filter', () => {
  const exact = planQuery({ type: 'a.b', from: 10, to: 20 })
  expect([exact.index, exact.lower, exact.upper, exact.filter]).toEqual(['type_time', ['a.b', 10], ['a.b', 20, []], undefined])
  const corr = planQuery({ correlationId: 'c', order: 'desc' })
  expect([corr.index, corr.lower, corr.direction]).toEqual(['correlation_time', ['c', Number.NEGATIVE_INFINITY], 'prev'])
  const glob = planQuery({ type: 'a.*', from: '2025-07-24T00:00:00Z' })
  expect([glob.index, glob.lower]).toEqual(['time', [Date.parse('2025-07-24T00:00:00Z')]])
  expect(glob.filter!({ type: 'a.x' } as never)).toBe(true)
  expect(glob.filter!({ type: 'b.x' } as never)).toBe(false)
  expect(glob.filter!({ type: 'a.x.y' } as never)).toBe(false)
  expect(planQuery().everything).toBe(true)
  expect(planQuery({ limit: 5 }).limit).toBe(5)
})

test('invalid input is refused with the input named', () => {
  expect(() => planQuery({ from: new Date('nope') })).toThrow(/query.from/)
  expect(() => planQuery({ order: 'up' as never })).toThrow(/query.order/)
  expect(() => planQuery({ type: 'a.{b' })).toThrow(/unbalanced/)
  expect(() => planQuery({ correlationId: 5 as never })).toThrow(/query.correlationId/)
})
