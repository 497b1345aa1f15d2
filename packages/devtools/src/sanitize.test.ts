import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, REDACTED, compileRedactor, sanitize } from './sanitize.js'

function named(): void {}

describe('sanitize', () => {
  it('redacts a key at any depth, a rooted path, wildcards and array items', () => {
    const r = compileRedactor(['password', 'card.number', 'users.*.token', 'meta.*.secret'])
    const out = sanitize(
      {
        password: 'p0',
        nested: { deep: { password: 'p1', keep: 1 } },
        card: { number: '4111', brand: 'visa' },
        other: { card: { number: 'not-rooted' } },
        users: [{ token: 't1', name: 'a' }, { token: 't2' }],
        meta: { a: { secret: 's', ok: true } },
      },
      r,
    )
    expect(out).toEqual({
      password: REDACTED,
      nested: { deep: { password: REDACTED, keep: 1 } },
      card: { number: REDACTED, brand: 'visa' },
      other: { card: { number: 'not-rooted' } },
      users: [{ token: REDACTED, name: 'a' }, { token: REDACTED }],
      meta: { a: { secret: REDACTED, ok: true } },
    })
    expect(JSON.stringify(out)).not.toMatch(/p0|p1|4111|t1|t2|"s"/)
  })

  it('makes values JSON-safe without throwing', () => {
    class Point {
      x: number
      y: number
      constructor(
        x: number,
        y: number,
      ) {
        this.x = x
        this.y = y
      }
    }
    const out = sanitize(
      {
        u: undefined,
        n: Number.NaN,
        inf: Infinity,
        big: 10n,
        sym: Symbol('s'),
        fn: named,
        date: new Date(0),
        err: new TypeError('bad'),
        bytes: new Uint8Array(4),
        set: new Set([1, 2]),
        map: new Map([['k', { password: 'x' }]]),
        point: new Point(1, 2),
      },
      compileRedactor(['password']),
    )
    expect(out).toEqual({
      u: null,
      n: 'NaN',
      inf: 'Infinity',
      big: '10n',
      sym: 'Symbol(s)',
      fn: '[Function named]',
      date: '1970-01-01T00:00:00.000Z',
      err: { name: 'TypeError', message: 'bad' },
      bytes: '[Uint8Array(4 bytes)]',
      set: [1, 2],
      map: { k: { password: REDACTED } },
      point: { x: 1, y: 2 },
    })
    expect(sanitize(undefined, undefined)).toBe(null)
  })

  it('bounds depth, breadth, strings, and survives cycles', () => {
    const cyc: Record<string, unknown> = { a: 1 }
    cyc['self'] = cyc
    const out = JSON.stringify(sanitize(cyc, undefined))
    expect(out.length).toBeLessThan(500)
    expect(out).toContain('[Object]')
    const wide = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i]))
    expect(Object.keys(sanitize(wide, undefined) as object)).toHaveLength(DEFAULT_LIMITS.maxKeys + 1)
    const arr = sanitize(Array.from({ length: 250 }, (_, i) => i), undefined) as unknown[]
    expect(arr).toHaveLength(201)
    expect(arr.at(-1)).toBe('… 50 more')
    expect(sanitize('x'.repeat(5000), undefined)).toMatch(/… \(5000 chars\)$/)
    // a wide cyclic graph is cut by the node budget, not explored exponentially
    const hub: Record<string, unknown> = {}
    for (let i = 0; i < 50; i++) hub[`k${i}`] = hub
    const t0 = performance.now()
    sanitize(hub, undefined)
    expect(performance.now() - t0).toBeLessThan(1000)
  })
})
