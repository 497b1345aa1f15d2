import { describe, expect, it } from 'vitest'
import { Point } from '../../../../test-support/point.js'
import { findUncloneable, findUncloneableInEvent } from './clone-check.js'

const fn = () => 1


describe('findUncloneable', () => {
  it('accepts what structured clone copies', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic['self'] = cyclic
    let deep: Record<string, unknown> = { leaf: true }
    for (let i = 0; i < 200; i++) deep = { next: deep }
    for (const v of [
      undefined, null, 0, 'x', true, 10n,
      { a: [1, 'b', { c: null }] },
      [new Date(1), /re/g, new Uint8Array(2), new ArrayBuffer(4), new DataView(new ArrayBuffer(1))],
      new Map<unknown, unknown>([['k', { v: 1 }], [{ o: 1 }, [2]]]),
      new Set([1, 'two', { three: 3 }]),
      new Error('e'), new TypeError('t'),
      Object.create(null) as object,
      new Point(1, 2), // cloned as a plain object: allowed
      cyclic, deep,
      new Blob(['x']),
      Object(1) as object, Object('s') as object,
    ]) {
      expect(findUncloneable(v)).toBeUndefined()
      expect(() => structuredClone(v)).not.toThrow() // the oracle agrees
    }
  })

  it('names the path and kind of the first uncloneable value', () => {
    const cases: [unknown, string, string][] = [
      [fn, 'data', 'function'],
      [Symbol('s'), 'data', 'symbol'],
      [{ callback: fn }, 'data.callback', 'function'],
      [{ a: { b: [0, 1, { c: Symbol('x') }] } }, 'data.a.b.2.c', 'symbol'],
      [new Map([['key', fn]]), 'data.key', 'function'],
      [new Map([[fn, 1]]), 'data.<key 0>', 'function'],
      [new Set([1, fn]), 'data.<item 1>', 'function'],
      [{ p: Promise.resolve(1) }, 'data.p', 'Promise'],
      [{ w: new WeakMap() }, 'data.w', 'WeakMap'],
      [{ inst: new (class { m = () => 1 })() }, 'data.inst.m', 'function'],
    ]
    for (const [value, path, kind] of cases) {
      expect(findUncloneable(value)).toEqual({ path, kind })
      expect(() => structuredClone(value)).toThrow() // the oracle agrees it cannot be cloned
    }
  })

  it('finds a bad value behind a cycle and deep nesting', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic['self'] = cyclic
    cyclic['bad'] = () => 1
    expect(findUncloneable(cyclic)).toEqual({ path: 'data.bad', kind: 'function' })
    let deep: Record<string, unknown> = { fn: () => 1 }
    for (let i = 0; i < 100; i++) deep = { n: deep }
    expect(findUncloneable(deep, 'metadata')?.path).toBe(`metadata${'.n'.repeat(100)}.fn`)
  })

  it('looks in the data of an event first, then its metadata, and names which', () => {
    expect(findUncloneableInEvent({ ok: 1 }, { el: () => 1 })).toEqual({ path: 'metadata.el', kind: 'function' })
    expect(findUncloneableInEvent({ fn: () => 1 }, { el: () => 1 })).toEqual({ path: 'data.fn', kind: 'function' })
    expect(findUncloneableInEvent({ ok: 1 }, undefined)).toBeUndefined()
    expect(findUncloneableInEvent(Symbol('s'))).toEqual({ path: 'data', kind: 'symbol' })
  })
})
