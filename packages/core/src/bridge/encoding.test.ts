// encode/decode against structuredClone as the oracle: whatever structured clone makes of a value,
// decode(encode(value)) must make too, down to -0, NaN, holes, Map/Set order and the identity
// structure of cycles and shared references. encoding.browser.test.ts imports this file, so every
// case here also runs in real Chromium (with fewer property runs there).
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MalformedEncodingError, TidingsError, UnencodableValueError } from '../errors.js'
import { decode, encode, findUnencodable } from './encoding.js'

const IN_BROWSER = typeof window !== 'undefined'
// ENC_RUNS=30000 npx vitest run --project node ... --testTimeout=600000 for a longer hunt.
const RUNS = IN_BROWSER ? 300 : Number(process.env["ENC_RUNS"] ?? 1000)

// ---------------------------------------------------------------------------------------------
// The comparison: undefined when equal, else where and how the two differ.

const TAGS = (v: object): string => Object.prototype.toString.call(v)

export function difference(a: unknown, b: unknown): string | undefined {
  const ab = new Map<object, object>()
  const ba = new Map<object, object>()
  const go = (x: unknown, y: unknown, p: string): string | undefined => {
    if (typeof x !== typeof y) return `${p}: ${typeof x} vs ${typeof y}`
    if (typeof x === 'number') return Object.is(x, y) ? undefined : `${p}: ${String(x)} vs ${String(y)}`
    if (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null) return x === y ? undefined : `${p}: ${String(x)} vs ${String(y)}`
    if (ab.has(x) || ba.has(y)) return ab.get(x) === y && ba.get(y) === x ? undefined : `${p}: identity structure differs`
    ab.set(x, y)
    ba.set(y, x)
    if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return `${p}: prototypes differ (${TAGS(x)} vs ${TAGS(y)})`
    if (TAGS(x) !== TAGS(y)) return `${p}: ${TAGS(x)} vs ${TAGS(y)}`
    if (x instanceof Date) return Object.is(x.getTime(), (y as Date).getTime()) ? undefined : `${p}: ${x.getTime()} vs ${(y as Date).getTime()}`
    if (x instanceof RegExp) {
      const r = y as RegExp
      return x.source === r.source && x.flags === r.flags && x.lastIndex === r.lastIndex ? undefined : `${p}: ${String(x)} @${x.lastIndex} vs ${String(r)} @${r.lastIndex}`
    }
    if (x instanceof ArrayBuffer) {
      const z = y as ArrayBuffer
      if (x.byteLength !== z.byteLength) return `${p}: byteLength ${x.byteLength} vs ${z.byteLength}`
      const u = new Uint8Array(x)
      const v = new Uint8Array(z)
      for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return `${p}: byte ${i} differs`
      return undefined
    }
    if (ArrayBuffer.isView(x)) {
      const z = y as ArrayBufferView
      if (x.byteOffset !== z.byteOffset || x.byteLength !== z.byteLength) return `${p}: view ${x.byteOffset}+${x.byteLength} vs ${z.byteOffset}+${z.byteLength}`
      return go(x.buffer, z.buffer, `${p}.buffer`)
    }
    for (const Box of [Number, String, Boolean, BigInt] as const)
      if (x instanceof Box) return Object.is(x.valueOf(), (y as typeof x).valueOf()) ? undefined : `${p}: boxed ${String(x)} vs ${String(y)}`
    if (x instanceof Map) {
      const ex = [...x]
      const ey = [...(y as Map<unknown, unknown>)]
      if (ex.length !== ey.length) return `${p}: Map size ${ex.length} vs ${ey.length}`
      for (let i = 0; i < ex.length; i++) {
        const d = go(ex[i]?.[0], ey[i]?.[0], `${p}.keys()[${i}]`) ?? go(ex[i]?.[1], ey[i]?.[1], `${p}.values()[${i}]`)
        if (d !== undefined) return d
      }
      return undefined
    }
    if (x instanceof Set) {
      const ex = [...x]
      const ey = [...(y as Set<unknown>)]
      if (ex.length !== ey.length) return `${p}: Set size ${ex.length} vs ${ey.length}`
      for (let i = 0; i < ex.length; i++) {
        const d = go(ex[i], ey[i], `${p}.values()[${i}]`)
        if (d !== undefined) return d
      }
      return undefined
    }
    if (x instanceof Error) {
      const e = y as Error
      if (x.name !== e.name || x.message !== e.message) return `${p}: ${x.name}: ${x.message} vs ${e.name}: ${e.message}`
      if (Object.hasOwn(x, 'message') !== Object.hasOwn(e, 'message')) return `${p}: own message differs`
      if (typeof x.stack === 'string' && x.stack !== e.stack) return `${p}: stack differs`
      if (Object.hasOwn(x, 'cause') !== Object.hasOwn(e, 'cause')) return `${p}: own cause differs`
      return Object.hasOwn(x, 'cause') ? go(x.cause, e.cause, `${p}.cause`) : undefined
    }
    if (Array.isArray(x) && x.length !== (y as unknown[]).length) return `${p}: length ${x.length} vs ${(y as unknown[]).length}`
    const kx = Object.keys(x)
    const ky = Object.keys(y)
    if (kx.length !== ky.length || kx.some((k, i) => k !== ky[i])) return `${p}: keys ${JSON.stringify(kx.slice(0, 6))} vs ${JSON.stringify(ky.slice(0, 6))}`
    for (const k of kx) {
      const d = go((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${p}[${JSON.stringify(k)}]`)
      if (d !== undefined) return d
    }
    return undefined
  }
  return go(a, b, 'value')
}

// ---------------------------------------------------------------------------------------------
// Structured-cloneable values. The arbitrary makes a plan; build() makes a fresh value from it
// each time (so nothing fast-check keeps is mutated), then links add cycles and shared references.

type Plan =
  | { t: 'prim'; v: unknown }
  | { t: 'any'; v: unknown }
  | { t: 'date'; ms: number }
  | { t: 're'; source: string; flags: string; lastIndex: number }
  | { t: 'typed'; a: ArrayBufferView; start: number; end: number }
  | { t: 'buffer'; bytes: Uint8Array }
  | { t: 'dataview'; bytes: Uint8Array; offset: number }
  | { t: 'boxed'; v: number | string | boolean | bigint }
  | { t: 'error'; ctor: number; message: string | undefined; name: string | undefined; cause: Plan | undefined }
  | { t: 'obj'; kind: 'plain' | 'class' | 'null'; entries: Array<[string, Plan]> }
  | { t: 'arr'; items: Array<Plan | undefined>; extras: Array<[string, Plan]> }
  | { t: 'map'; entries: Array<[Plan, Plan]> }
  | { t: 'set'; items: Plan[] }

const ERROR_TYPES = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError]
class Point {
  x = 1
  get sum(): number {
    return this.x + 1
  }
}

const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', '\u0000x', '\u0000', 'constructor', 'toString', '0', '7', '-0', '1.5', 'a b', ''))
const primitive = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, undefined, null, true, false),
  fc.integer(),
  fc.bigInt(),
  fc.string({ unit: 'binary' }),
)
const typed = fc.oneof(
  fc.int8Array(), fc.uint8Array(), fc.uint8ClampedArray(), fc.int16Array(), fc.uint16Array(), fc.int32Array(), fc.uint32Array(),
  fc.float32Array(), fc.float64Array(), fc.bigInt64Array(), fc.bigUint64Array(),
) as fc.Arbitrary<ArrayBufferView & { length: number }>

const leaf: fc.Arbitrary<Plan> = fc.oneof(
  { arbitrary: primitive.map((v): Plan => ({ t: 'prim', v })), weight: 4 },
  fc
    .anything({ maxDepth: 2, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withObjectString: true, withUnicodeString: true })
    .map((v): Plan => ({ t: 'any', v })),
  fc.date({ noInvalidDate: false }).map((d): Plan => ({ t: 'date', ms: d.getTime() })),
  fc
    .record({ source: fc.constantFrom('a+b', '^\\d{2}$', '(?:x|y)*', '[/]\\n', '', '\\u{1F600}'), flags: fc.subarray(['d', 'g', 'i', 'm', 's', 'u', 'y']), lastIndex: fc.nat(5) })
    .map((r): Plan => ({ t: 're', source: r.source, flags: r.flags.join(''), lastIndex: r.lastIndex })),
  fc.tuple(typed, fc.nat(), fc.nat()).map(([a, x, y]): Plan => ({ t: 'typed', a, start: Math.min(x, y) % (a.length + 1), end: Math.max(x, y) % (a.length + 1) })),
  fc.uint8Array().map((bytes): Plan => ({ t: 'buffer', bytes })),
  fc.tuple(fc.uint8Array(), fc.nat()).map(([bytes, o]): Plan => ({ t: 'dataview', bytes, offset: o % (bytes.length + 1) })),
  fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.bigInt()).map((v): Plan => ({ t: 'boxed', v })),
)

const { plan } = fc.letrec<{ plan: Plan }>((tie) => ({
  plan: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    leaf,
    fc.record({ kind: fc.constantFrom('plain', 'plain', 'class', 'null'), entries: fc.array(fc.tuple(key, tie('plan')), { maxLength: 5 }) }).map((o): Plan => ({ t: 'obj', kind: o.kind, entries: o.entries })),
    fc
      .record({
        items: fc.array(fc.option(tie('plan'), { nil: undefined, freq: 4 }), { maxLength: 6 }),
        extras: fc.array(fc.tuple(key.filter((k) => k === '' || !/^(0|[1-9]\d*)$/.test(k)), tie('plan')), { maxLength: 1 }),
      })
      .map((a): Plan => ({ t: 'arr', items: a.items, extras: a.extras })),
    fc.array(fc.tuple(tie('plan'), tie('plan')), { maxLength: 4 }).map((entries): Plan => ({ t: 'map', entries })),
    fc.array(tie('plan'), { maxLength: 4 }).map((items): Plan => ({ t: 'set', items })),
    fc
      .record({ ctor: fc.nat(ERROR_TYPES.length - 1), message: fc.option(fc.string(), { nil: undefined }), name: fc.option(fc.constantFrom('Error', 'TypeError', 'ValidationError'), { nil: undefined }), cause: fc.option(tie('plan'), { nil: undefined }) })
      .map((e): Plan => ({ t: 'error', ...e })),
  ),
}))

/** Links: [from, to, key]; each puts container `to` into container `from` (cycles, shared refs). */
const links = fc.array(fc.tuple(fc.nat(), fc.nat(), key), { maxLength: 4 })

/** An own enumerable data property, even for the key '__proto__'. */
const own = (o: object, k: string, value: unknown) => Object.defineProperty(o, k, { value, writable: true, enumerable: true, configurable: true })

function build(root: Plan, linkList: ReadonlyArray<[number, number, string]>): unknown {
  const containers: object[] = []
  const make = (p: Plan): unknown => {
    switch (p.t) {
      case 'prim':
        return p.v
      case 'any':
        return structuredClone(p.v)
      case 'date':
        return new Date(p.ms)
      case 're': {
        const r = new RegExp(p.source, p.flags)
        r.lastIndex = p.lastIndex
        return r
      }
      case 'typed': {
        const Ctor = p.a.constructor as new (a: ArrayBufferView) => ArrayBufferView & { subarray(s: number, e: number): ArrayBufferView }
        return new Ctor(p.a).subarray(p.start, p.end)
      }
      case 'buffer':
        return p.bytes.slice().buffer
      case 'dataview':
        return new DataView(p.bytes.slice().buffer, p.offset)
      case 'boxed':
        return Object(p.v)
      case 'error': {
        const Ctor = ERROR_TYPES[p.ctor] ?? Error
        const e = p.cause === undefined ? new Ctor(p.message) : new Ctor(p.message, { cause: make(p.cause) })
        if (p.name !== undefined) e.name = p.name
        return e
      }
      case 'obj': {
        const o: object = p.kind === 'class' ? new Point() : p.kind === 'null' ? Object.create(null) : {}
        containers.push(o)
        for (const [k, v] of p.entries) own(o, k, make(v))
        return o
      }
      case 'arr': {
        const a: unknown[] = new Array(p.items.length)
        containers.push(a)
        p.items.forEach((item, i) => {
          if (item !== undefined) a[i] = make(item)
        })
        for (const [k, v] of p.extras) own(a, k, make(v))
        return a
      }
      case 'map': {
        const m = new Map<unknown, unknown>()
        containers.push(m)
        for (const [k, v] of p.entries) m.set(make(k), make(v))
        return m
      }
      case 'set': {
        const s = new Set<unknown>()
        containers.push(s)
        for (const v of p.items) s.add(make(v))
        return s
      }
    }
  }
  const value = make(root)
  if (containers.length > 0)
    for (const [from, to, k] of linkList) {
      const a = containers[from % containers.length] as object
      const b = containers[to % containers.length] as object
      if (a instanceof Map) a.set(k, b)
      else if (a instanceof Set) a.add(b)
      else if (Array.isArray(a)) a.push(b)
      else own(a, k, b)
    }
  return value
}

export const cloneable = fc.tuple(plan, links).map(([p, l]) => ({ p, l }))

/** The round trip against the oracle; a value structured clone itself refuses is skipped. */
export function checkRoundTrip({ p, l }: { p: Plan; l: ReadonlyArray<[number, number, string]> }): void {
  const value = build(p, l)
  let expected: unknown
  try {
    expected = structuredClone(value)
  } catch {
    fc.pre(false)
  }
  expect(findUnencodable(value, 'data')).toBeUndefined()
  const text = encode(value, 'data')
  expect(typeof text).toBe('string')
  const got = decode(text, 'data')
  expect(difference(expected, got)).toBeUndefined()
  // Text in, the same text out: encoding is deterministic for the decoded value too.
  expect(encode(got, 'data')).toBe(text)
}

const roundTrip = (v: unknown): unknown => decode(encode(v, 'data'), 'data')

/** Runs `fn` and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

function expectRefusal(value: unknown, path: string, kind: string): UnencodableValueError {
  const err = thrown(() => encode(value, 'data'))
  expect(err).toBeInstanceOf(UnencodableValueError)
  expect(err).toBeInstanceOf(TidingsError)
  const e = err as UnencodableValueError
  expect(e.name).toBe('UnencodableValueError')
  expect(e.path).toBe(path)
  expect(e.kind).toBe(kind)
  expect(e.message.startsWith(`${path} `)).toBe(true)
  expect(findUnencodable(value, 'data')).toEqual({ path, kind })
  return e
}

describe('encode/decode round trip (oracle: structuredClone)', () => {
  it(`keeps what structured clone keeps (${RUNS} runs)`, () => {
    fc.assert(fc.property(cloneable, checkRoundTrip), { numRuns: RUNS })
  })

  it('keeps each structured-clone type', () => {
    const buf = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer
    const shared = { k: 1 }
    const cyclic: Record<string, unknown> = { name: 'c' }
    cyclic['self'] = cyclic
    const holes: number[] = []
    holes[0] = 1
    holes[2] = 3
    const far: unknown[] = []
    far[1000] = 1
    const extra = Object.assign([1, 2], { foo: 'bar' })
    const values: unknown[] = [
      { d: new Date(1700000000123), bad: new Date(NaN) },
      new Map<unknown, unknown>([['a', 1], [{ id: 1 }, new Set([1])]]),
      new Set([1, 'a', { b: 2 }]),
      Object.assign(/a+b/giy, { lastIndex: 3 }),
      [new Int8Array([1, -1]), new Uint8ClampedArray([255]), new Float64Array([NaN, -0]), new BigInt64Array([-(2n ** 63n)]), new BigUint64Array([2n ** 64n - 1n])],
      [new Uint16Array(buf, 2, 2), new DataView(buf, 1, 4), buf],
      { n: 1n, big: 2n ** 100n, nan: NaN, inf: Infinity, ninf: -Infinity, z: -0, u: undefined },
      [undefined, holes, far, extra],
      { a: shared, b: shared, c: [shared], cyclic },
      [new TypeError('boom'), new Error('outer', { cause: new RangeError('inner') })],
      [Object(1), Object('s'), Object(true), Object(10n)],
      [new Set([new Map([[{ k: 1 }, new Set([1, 2])]])])],
      JSON.parse('{"__proto__": {"x": 1}, "\\u0000a": 2}') as unknown,
      undefined,
      -0,
      'a\ud800b',
    ]
    for (const v of values) expect(difference(structuredClone(v), roundTrip(v))).toBeUndefined()
  })

  it('makes class instances and null-prototype objects plain, as structured clone does', () => {
    const got = roundTrip({ p: new Point(), n: Object.assign(Object.create(null) as object, { a: 1 }) }) as { p: object; n: object }
    expect(Object.getPrototypeOf(got.p)).toBe(Object.prototype)
    expect(got.p).toEqual({ x: 1 })
    expect(Object.getPrototypeOf(got.n)).toBe(Object.prototype)
  })

  it('keeps Errors as structured clone does: the standard name, message, stack, cause', () => {
    class ValidationError extends Error {
      override name = 'ValidationError'
      extra = 1
    }
    const e = new ValidationError('bad', { cause: { field: 'x' } })
    const got = roundTrip(e) as Error
    expect(got).toBeInstanceOf(Error)
    expect(got.name).toBe('Error')
    expect(got.message).toBe('bad')
    expect(got.stack).toBe(e.stack)
    expect(got.cause).toEqual({ field: 'x' })
    expect(Object.keys(got)).toEqual([])
    const loop = new Error('loop')
    const holder = { loop }
    loop.cause = holder
    const back = roundTrip(holder) as { loop: Error }
    expect(back.loop.cause).toBe(back)
  })

  it('reads every property once', () => {
    let reads = 0
    const v = {
      get x(): number {
        reads++
        return 1
      },
    }
    expect(roundTrip(v)).toEqual({ x: 1 })
    expect(reads).toBe(1)
  })

  it('carries the visible bytes of a Node Buffer, as a Uint8Array', () => {
    if (typeof Buffer === 'undefined') return
    const got = roundTrip(Buffer.from('hi')) as Uint8Array
    expect(got.constructor).toBe(Uint8Array)
    expect([...got]).toEqual([104, 105])
    expect(got.buffer.byteLength).toBe(2)
  })

  it('takes a live Proxy of a plain object or array as what it shows', () => {
    expect(roundTrip(new Proxy({ a: 1 }, {}))).toEqual({ a: 1 })
    expect(roundTrip(new Proxy([1, 2], {}))).toEqual([1, 2])
  })
})

describe('refusals name the path and say what to do', () => {
  it('a function', () => {
    const e = expectRefusal({ items: [0, 0, 0, { cb: () => 1 }] }, 'data.items[3].cb', 'function')
    expect(e.message).toBe('data.items[3].cb is a function, which cannot cross to another context (structured clone refuses it too): leave it out, or send plain data that describes it. Nothing was encoded.')
    expectRefusal(() => 1, 'data', 'function')
  })

  it('a symbol, as a value, a Map key, a Set item, boxed', () => {
    expectRefusal({ s: Symbol('x') }, 'data.s', 'symbol')
    expectRefusal(new Map([[Symbol('k'), 1]]), 'data.keys()[0]', 'symbol')
    expectRefusal(new Map([['k', Symbol('v')]]), 'data.get("k")', 'symbol')
    expectRefusal(new Map([[{}, Symbol('v')]]), 'data.values()[0]', 'symbol')
    expectRefusal(new Set([1, Symbol('v')]), 'data.values()[1]', 'symbol')
    expectRefusal({ 'a b': [Object(Symbol('x'))] }, 'data["a b"][0]', 'symbol')
  })

  it('ignores symbol-keyed properties, as structured clone does', () => {
    expect(roundTrip({ a: 1, [Symbol('k')]: 2 })).toEqual({ a: 1 })
  })

  it('a WeakMap, WeakSet, Promise, arguments', () => {
    expectRefusal({ w: new WeakMap() }, 'data.w', 'WeakMap')
    expectRefusal({ w: new WeakSet() }, 'data.w', 'WeakSet')
    expectRefusal([Promise.resolve(1)], 'data[0]', 'Promise')
    expectRefusal(
      (function (..._args: unknown[]) {
        // oxlint-disable-next-line prefer-rest-params
        return { args: arguments }
      })(1),
      'data.args',
      'arguments',
    )
  })

  it('a getter that throws', () => {
    const v = {
      ok: 1,
      nested: {
        get boom(): number {
          throw new Error('boom')
        },
      },
    }
    const e = expectRefusal(v, 'data.nested.boom', 'unreadable')
    expect(e.message).toBe('data.nested.boom could not be read (Error: boom): a getter threw, or it is a revoked Proxy; make it readable, or leave it out. Nothing was encoded.')
  })

  it('a revoked Proxy', () => {
    const r = Proxy.revocable({}, {})
    r.revoke()
    const e = expectRefusal({ list: [1, r.proxy] }, 'data.list[1]', 'unreadable')
    expect(e.message).toContain('revoked')
  })

  it('a Proxy imitating a Map (structured clone refuses it too)', () => {
    expectRefusal({ m: new Proxy(new Map(), {}) }, 'data.m', 'Proxy')
  })

  it('shared, resizable and detached buffers', () => {
    // (a page gets SharedArrayBuffer only when cross-origin isolated)
    if (typeof SharedArrayBuffer !== 'undefined') expectRefusal({ b: new Int32Array(new SharedArrayBuffer(8)) }, 'data.b', 'SharedArrayBuffer')
    // (the ES2023 lib does not declare the ES2024 options argument)
    const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer
    expectRefusal({ b: new Resizable(8, { maxByteLength: 16 }) }, 'data.b', 'resizable ArrayBuffer')
    const gone = new ArrayBuffer(8)
    structuredClone(gone, { transfer: [gone] })
    expectRefusal({ b: gone }, 'data.b', 'detached ArrayBuffer')
  })

  it('too deep a structure is a typed error, not a stack overflow', () => {
    let deep: Record<string, unknown> = {}
    for (let i = 0; i < 200_000; i++) deep = { d: deep }
    const err = thrown(() => encode(deep, 'data'))
    expect(err).toBeInstanceOf(UnencodableValueError)
    expect((err as UnencodableValueError).kind).toBe('too deep')
    expect((err as UnencodableValueError).message.length).toBeLessThan(600)
  })
})

describe('decode refuses text encode() did not make', () => {
  const bad = ['', 'not json', '{"a":1}', '[]', '-1', '[1]', '[[1,2,3],1,2,3]', '[[1],{"__proto__":2},3]', '[["null","a",1]]', '[["URL","https://x/"]]', '[[1],["E",2],{"n":3},"Evil"]', '[[1,2],1,2]', '[[1,2],1,[3],[4,4,4],9]', '[["Uint8Array",1],["ArrayBuffer",5]]', '[["BigInt","x"]]']
  it.each(bad)('%j', (text) => {
    const err = thrown(() => decode(text, 'tabs batch'))
    expect(err).toBeInstanceOf(MalformedEncodingError)
    expect((err as MalformedEncodingError).name).toBe('MalformedEncodingError')
    expect((err as MalformedEncodingError).message).toMatch(/^tabs batch is not valid Tidings-encoded text \(.+\)\. Pass the text exactly as encode\(\) made it; nothing was decoded\.$/)
  })

  it('a non-string', () => {
    expect(thrown(() => decode(42 as unknown as string, 'state'))).toBeInstanceOf(MalformedEncodingError)
  })

  it('never sets a prototype from the text', () => {
    const got = decode(encode(JSON.parse('{"__proto__": {"polluted": true}}'), 'data'), 'data') as Record<string, unknown>
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype)
    expect(Object.hasOwn(got, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })
})
