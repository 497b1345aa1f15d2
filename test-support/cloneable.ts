// Shared by the property tests of every text path (core's encoding, history export/import): an
// arbitrary of structured-cloneable values, and a deep comparison that sees what toEqual does not
// (-0, holes, the identity structure of cycles and shared references). Test-only: not part of any
// package. The arbitrary makes a plan; build() makes a fresh value from it each time (so nothing
// fast-check keeps is mutated), then links add cycles and shared references.
import * as fc from 'fast-check'

const TAGS = (v: object): string => Object.prototype.toString.call(v)

/** undefined when equal, else where and how the two differ. */
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

export type Plan =
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
export class Point {
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
        extras: fc.array(fc.tuple(key.filter((k) => k !== 'length' && (k === '' || !/^(0|[1-9]\d*)$/.test(k))), tie('plan')), { maxLength: 1 }),
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
export type Links = ReadonlyArray<[number, number, string]>

const links = fc.array(fc.tuple(fc.nat(), fc.nat(), key), { maxLength: 4 })

/** An own enumerable data property, even for the key '__proto__'. */
const own = (o: object, k: string, value: unknown) => Object.defineProperty(o, k, { value, writable: true, enumerable: true, configurable: true })

export function build(root: Plan, linkList: Links): unknown {
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

/** A plan of a structured-cloneable value: build(p, l) makes a fresh value from it (shrinks well). */
export const cloneablePlan: fc.Arbitrary<{ p: Plan; l: Links }> = fc.tuple(plan, links).map(([p, l]) => ({ p, l }))

/** A structured-cloneable value (cycles and shared references included), fresh on every run. */
export const cloneable: fc.Arbitrary<unknown> = fc.tuple(plan, links).map(([p, l]) => build(p, l))
