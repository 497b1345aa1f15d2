// encode/decode against structuredClone as the oracle: whatever structured clone makes of a value,
// decode(encode(value)) must make too, down to -0, NaN, holes, Map/Set order and the identity
// structure of cycles and shared references. encoding.browser.test.ts imports this file, so every
// case here also runs in real Chromium (with fewer property runs there).
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MalformedEncodingError, TidingsError, UnencodableValueError } from '../errors.js'
import { decode, encode, findUnencodable } from './encoding.js'
import { build, cloneablePlan, difference, Point, type Links, type Plan } from '../../../../test-support/cloneable.js'

const IN_BROWSER = typeof window !== 'undefined'
// ENC_RUNS=30000 npx vitest run --project node ... --testTimeout=600000 for a longer hunt.
const RUNS = IN_BROWSER ? 300 : Number(process.env["ENC_RUNS"] ?? 1000)

export { difference }
export const cloneable = cloneablePlan

/** The round trip against the oracle; a value structured clone itself refuses is skipped. */
export function checkRoundTrip({ p, l }: { p: Plan; l: Links }): void {
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
