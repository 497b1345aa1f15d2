import { expect, test } from 'vitest'
import { ReadFailure } from './errors.js'
import { compileRedact, REDACTED } from './redact.js'

test('redacts listed paths, copy-on-write, leaves the input untouched', () => {
  const r = compileRedact(['password', 'card.number', '*.token', 'list.*.secret'])!
  const data = { password: 'p', card: { number: '4111', exp: '1' }, s: { token: 't', id: 1 }, other: { x: 1 }, list: [{ secret: 1, ok: 2 }] }
  const frozen = JSON.stringify(data)
  const out = r(data)
  expect(out).toEqual({ password: REDACTED, card: { number: REDACTED, exp: '1' }, s: { token: REDACTED, id: 1 }, other: { x: 1 }, list: [{ secret: REDACTED, ok: 2 }] })
  expect(JSON.stringify(data)).toBe(frozen)
  expect(out.other).toBe(data.other) // untouched branches are shared
  expect(Array.isArray(out.list)).toBe(true)
})

test('no match returns the same value; primitives pass through', () => {
  const r = compileRedact(['a.b'])!
  const d = { c: 1 }
  expect(r(d)).toBe(d)
  expect(r(5)).toBe(5)
  expect(r(null)).toBe(null)
  expect(compileRedact([])).toBeUndefined()
})

test('bad paths throw', () => {
  expect(() => compileRedact(['a..b'])).toThrow(/redact/)
  expect(() => compileRedact('a' as never)).toThrow(/must be an array/)
})

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

test('a read that throws (a getter, a revoked Proxy) is a ReadFailure naming the path, not a raw error', () => {
  const r = compileRedact(['*.token', 'card.number'])!
  const boom = Object.defineProperty({ ok: { token: 't' } }, 'bad', {
    enumerable: true,
    get() {
      throw new Error('boom')
    },
  })
  const e1 = thrown(() => r(boom))
  expect(e1).toBeInstanceOf(ReadFailure)
  expect([(e1 as ReadFailure).path, ((e1 as ReadFailure).cause as Error).message]).toEqual(['data.bad', 'boom'])
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  expect((thrown(() => r({ card: proxy })) as ReadFailure).path).toBe('data.card')
  expect((thrown(() => r(proxy)) as ReadFailure).path).toBe('data')
})
