import { expect, test } from 'vitest'
import { planQuery } from './plan.js'

test('exact types scan [type, bucket], correlation scans its chain, globs scan buckets and filter', () => {
  const exact = planQuery({ type: 'a.b', from: 10, to: 20 })
  expect([exact.index, exact.prefix, exact.from, exact.to, exact.filter]).toEqual(['type_bucket', 'a.b', 10, 20, undefined])
  const corr = planQuery({ correlationId: 'c', order: 'desc' })
  expect([corr.index, corr.prefix, corr.from, corr.direction]).toEqual(['corr', 'c', Number.NEGATIVE_INFINITY, 'prev'])
  // The chain's segments hold other events too: the correlationId is also filtered in memory.
  expect(corr.filter!({ correlationId: 'c' } as never)).toBe(true)
  expect(corr.filter!({ correlationId: 'd' } as never)).toBe(false)
  const glob = planQuery({ type: 'a.*', from: '2025-07-24T00:00:00Z' })
  expect([glob.index, glob.prefix, glob.from, glob.to]).toEqual(['bucket', undefined, Date.parse('2025-07-24T00:00:00Z'), Number.POSITIVE_INFINITY])
  expect(glob.glob?.prefix).toBe('a')
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
