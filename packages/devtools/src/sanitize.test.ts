import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, REDACTED, compileRedactor, newReport, sanitize } from './sanitize.js'
import { Point } from '../../../test-support/point.js'

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
      bytes: 'Uint8Array(4) [0, 0, 0, 0]',
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
    const cutWide = sanitize(wide, undefined) as Record<string, unknown>
    expect(Object.keys(cutWide)).toHaveLength(DEFAULT_LIMITS.maxKeys + 1)
    expect(cutWide['…']).toBe('100 more keys')
    const arr = sanitize(Array.from({ length: 250 }, (_, i) => i), undefined) as unknown[]
    expect(arr).toHaveLength(201)
    expect(arr.at(-1)).toBe('… 50 more')
    expect(sanitize('x'.repeat(5000), undefined)).toMatch(/… \(5000 chars\)$/)
    // a wide cyclic graph is cut by the node budget, not explored exponentially
    const hub: Record<string, unknown> = {}
    for (let i = 0; i < 50; i++) hub[`k${i}`] = hub
    const report = newReport()
    const json = JSON.stringify(sanitize(hub, undefined, DEFAULT_LIMITS, report))
    expect(json.match(/"\[…\]"/g)!.length).toBeGreaterThan(0)
    expect(json.match(/"\[Object\]"/g)!.length + json.match(/\{/g)!.length).toBeLessThanOrEqual(DEFAULT_LIMITS.maxNodes + 1)
    expect(report).toMatchObject({ sized: false, cut: true })
  })

  it('takes the first entries of a huge Map, Set or array through the iterator, never the whole collection', () => {
    const big = 200_000
    const map = new Map(Array.from({ length: big }, (_, i) => [`k${i}`, { i }]))
    const set = new Set(Array.from({ length: big }, (_, i) => i))
    // count the steps of Map and Set iterators while sanitizing (spreading would take 200k)
    const mapIt = Object.getPrototypeOf(new Map().entries()) as { next: () => unknown }
    const setIt = Object.getPrototypeOf(new Set().values()) as { next: () => unknown }
    const mapNext = mapIt.next
    const setNext = setIt.next
    let steps = 0
    mapIt.next = function (this: unknown) {
      steps++
      return mapNext.call(this)
    }
    setIt.next = function (this: unknown) {
      steps++
      return setNext.call(this)
    }
    let m: Record<string, unknown>
    let st: unknown[]
    try {
      m = sanitize({ map }, undefined) as Record<string, unknown>
      expect(steps).toBe(DEFAULT_LIMITS.maxKeys + 1)
      steps = 0
      st = sanitize(set, undefined) as unknown[]
      expect(steps).toBe(DEFAULT_LIMITS.maxArray + 1)
    } finally {
      mapIt.next = mapNext
      setIt.next = setNext
    }
    const shown = m['map'] as Record<string, unknown>
    expect(Object.keys(shown)).toHaveLength(201)
    expect(shown['k0']).toEqual({ i: 0 })
    expect(shown['k199']).toEqual({ i: 199 })
    expect(shown['…']).toBe(`${big - 200} more entries`)
    expect(st).toHaveLength(201)
    expect(st.slice(0, 3)).toEqual([0, 1, 2])
    expect(st.at(-1)).toBe(`… ${big - 200} more`)

    // an array behind a Proxy: only the items taken are read
    const reads = new Set<string>()
    const arr = new Proxy(Array.from({ length: big }, (_, i) => i), {
      get(t, k, r) {
        if (typeof k === 'string') reads.add(k)
        return Reflect.get(t, k, r)
      },
    })
    const a = sanitize(arr, undefined) as unknown[]
    expect(a.at(-1)).toBe(`… ${big - 200} more`)
    expect(reads.size).toBe(201) // 'length' and indexes 0..199
    expect(reads.has('200')).toBe(false)
  })

  it('reads at most maxKeys values of a wide object and counts a bounded number of further keys', () => {
    const gets: string[] = []
    const target = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]))
    const wide = new Proxy(target, {
      get(t, k, r) {
        if (typeof k === 'string') gets.push(k)
        return Reflect.get(t, k, r)
      },
    })
    const out = sanitize(wide, undefined) as Record<string, unknown>
    expect(gets).toHaveLength(200)
    expect(out['k199']).toBe(199)
    expect(out['k200']).toBeUndefined()
    expect(out['…']).toBe('over 2000 more keys')
    const report = newReport()
    sanitize(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i])), undefined, DEFAULT_LIMITS, report)
    expect(report.sized).toBe(true) // 800 more keys counted: extrapolated
    const unsized = newReport()
    sanitize(target, undefined, DEFAULT_LIMITS, unsized)
    expect(unsized.sized).toBe(false)
  })

  it('caps long strings and typed arrays and shows how much was left out', () => {
    const s = 'x'.repeat(5 * 1024 * 1024)
    const out = sanitize({ s, bytes: new Uint8Array(5 * 1024 * 1024).fill(7), f: new Float64Array([1.5, 2]) }, undefined) as Record<string, string>
    expect(out['s']).toBe(`${'x'.repeat(4000)}… (${s.length} chars)`)
    expect(out['bytes']).toBe(`Uint8Array(5242880) [${Array(32).fill(7).join(', ')}, … 5242848 more]`)
    expect(out['f']).toBe('Float64Array(2) [1.5, 2]')
  })

  it('turns throwing getters and revoked proxies into placeholders naming the path and the error', () => {
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {})
    revoke()
    const data = {
      ok: 1,
      user: {
        get token(): string {
          throw new Error('no token here')
        },
        name: 'ada',
      },
      list: [1, proxy],
      gone: proxy,
      map: new Map([['p', proxy]]),
    }
    const report = newReport()
    const out = sanitize(data, undefined, DEFAULT_LIMITS, report) as Record<string, unknown>
    expect(out['ok']).toBe(1)
    expect(out['user']).toEqual({ token: '[unreadable data.user.token: Error: no token here]', name: 'ada' })
    expect((out['list'] as unknown[])[0]).toBe(1)
    expect((out['list'] as unknown[])[1]).toMatch(/^\[unreadable data\.list\.1: TypeError: .*revoked/)
    expect(out['gone']).toMatch(/^\[unreadable data\.gone: TypeError: /)
    expect((out['map'] as Record<string, unknown>)['p']).toMatch(/^\[unreadable data\.map\.p: TypeError: /)
    expect(report).toMatchObject({ sized: false, cut: true })
    // a redacted field whose getter throws is still just '[redacted]' (the error could quote it)
    const secret = {
      get password(): string {
        throw new Error('wrong password hunter2')
      },
    }
    expect(sanitize(secret, compileRedactor(['password']))).toEqual({ password: REDACTED })
    // the whole value unreadable: still a placeholder, never a throw
    expect(sanitize(proxy, undefined, DEFAULT_LIMITS, undefined, 'metadata')).toMatch(/^\[unreadable metadata: TypeError: /)
  })

  it('estimates the size of the original, redacted and left-out parts included', () => {
    const r = newReport()
    sanitize({ s: 'x'.repeat(100_000), secret: 'y'.repeat(50_000) }, compileRedactor(['secret']), DEFAULT_LIMITS, r)
    expect(r.sized).toBe(true)
    expect(r.cut).toBe(true)
    expect(r.bytes).toBeGreaterThanOrEqual(150_000)
    expect(r.bytes).toBeLessThan(151_000)
    const arr = newReport()
    sanitize(Array.from({ length: 100_000 }, () => 'abcdefgh'), undefined, DEFAULT_LIMITS, arr)
    // 100k strings of 10 JSON bytes (+ a comma), extrapolated from the 200 walked
    expect(arr.bytes).toBeGreaterThan(1_000_000)
    expect(arr.bytes).toBeLessThan(1_200_000)
    const small = newReport()
    sanitize({ a: 1, b: 'two' }, undefined, DEFAULT_LIMITS, small)
    expect(small).toEqual({ bytes: expect.any(Number), sized: true, cut: false })
    expect(small.bytes).toBeLessThan(50)
  })

  it('keeps a __proto__ key as data and bounds the output of many long strings', () => {
    const out = sanitize(JSON.parse('{"__proto__": {"x": 1}, "y": 2}'), undefined) as Record<string, unknown>
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"__proto__": {"x": 1}, "y": 2}'))
    const many = Array.from({ length: 200 }, () => Array.from({ length: 200 }, () => 'z'.repeat(4000)))
    const json = JSON.stringify(sanitize(many, undefined))
    expect(json.length).toBeLessThan(DEFAULT_LIMITS.maxBytes + 8 * 1024)
  })
})
