// The walk in front of devalue (encoding.ts): copies a value under structured clone's rules, or
// throws UnencodableValueError naming the path. Each property is read once, inside a try (a
// throwing getter or a revoked Proxy becomes an error that names the path, never a raw TypeError);
// class instances and null-prototype objects become plain objects, as structured clone makes them;
// built-ins are recognised by their internal slots (the intrinsics below), not by
// Symbol.toStringTag. What devalue has no form for (Errors, an own '__proto__' key, extra
// properties on arrays) is collected as patches, which decode() applies after parsing.
import { UnencodableValueError } from '../errors.js'
import { describeError } from './wire.js'

const DROP = 'cannot cross to another context (structured clone refuses it too): leave it out, or send plain data that describes it'
const CLONE_ONLY = 'structured clone can carry but text cannot: send it over structured clone instead (tabs without a key, a worker), or send its contents as plain data'
export const TOO_DEEP = 'is nested too deeply to encode: flatten the structure'
/** Platform objects that structured clone carries (or transfers) and text cannot. */
const CLONE_ONLY_TAGS = new Set(['Blob', 'File', 'FileList', 'ImageBitmap', 'ImageData', 'OffscreenCanvas', 'CryptoKey', 'DOMException', 'DOMMatrix', 'DOMMatrixReadOnly', 'DOMPoint', 'DOMPointReadOnly', 'DOMRect', 'DOMRectReadOnly', 'DOMQuad', 'FileSystemHandle', 'FileSystemFileHandle', 'FileSystemDirectoryHandle', 'RTCCertificate', 'VideoFrame', 'AudioData', 'EncodedAudioChunk', 'EncodedVideoChunk', 'MessagePort', 'ReadableStream', 'WritableStream', 'TransformStream', 'WebAssembly.Module'])
/** The Error types structured clone keeps; any other name arrives as 'Error', as it does there. */
export const ERRORS = new Map<string, ErrorConstructor>([Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError].map((c) => [c.name, c]))

const OBJECT_TAG = Object.prototype.toString
const DATE_TIME = Date.prototype.getTime
const REGEXP_SOURCE = getter(RegExp.prototype, 'source')
const MAP_HAS = Map.prototype.has
const MAP_EACH = Map.prototype.forEach
const SET_HAS = Set.prototype.has
const SET_EACH = Set.prototype.forEach
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object
const TA_TAG = getter(TYPED_ARRAY, Symbol.toStringTag)
const TA_BUFFER = getter(TYPED_ARRAY, 'buffer')
const DV_BUFFER = getter(DataView.prototype, 'buffer')
const AB_LENGTH = getter(ArrayBuffer.prototype, 'byteLength')
const AB_SLICE = ArrayBuffer.prototype.slice
const AB_RESIZABLE = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'resizable')?.get
const UNBOX: Record<string, (this: unknown) => unknown> = { Number: Number.prototype.valueOf, String: String.prototype.valueOf, Boolean: Boolean.prototype.valueOf, BigInt: BigInt.prototype.valueOf }

function getter(proto: object, key: PropertyKey): (this: unknown) => unknown {
  const get = Object.getOwnPropertyDescriptor(proto, key)?.get
  if (get === undefined) throw new TypeError(`no ${String(key)} getter`)
  return get
}

/** Path markers: a Map key or value, a Set item (each followed by its index and the Map key). */
const MAP_KEY = Symbol('key')
const MAP_VALUE = Symbol('value')
const SET_ITEM = Symbol('item')
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

/** Patches carry what devalue has no form for; applied by decode() after parsing. */
export const CAUSE = 0
export const EXTRAS = 1

/** An Error as the walk copies it: structured clone's fields only (the cause goes in a patch). */
export class ErrorRecord {
  readonly fields: { n: string; m?: string; s?: string }
  constructor(fields: { n: string; m?: string; s?: string }) {
    this.fields = fields
  }
}

const needsWalk = (v: unknown): boolean => (typeof v === 'object' && v !== null) || typeof v === 'function' || typeof v === 'symbol'
const escapeKey = (k: string): string => (k === '__proto__' || k.charCodeAt(0) === 0 ? '\u0000' + k : k)

/** A stack overflow (V8: RangeError 'Maximum call stack size exceeded'; Firefox: 'too much recursion'). */
export function isOverflow(err: unknown): boolean {
  return err instanceof Error && /call stack|recursion/i.test(err.message)
}

/** A canonical array index ('0', '17'), or -1 ('01', '-0', '1.5', 'foo'). */
export function arrayIndex(k: string): number {
  const n = Number(k)
  return Number.isInteger(n) && n >= 0 && n < 4294967295 && String(n) === k ? n : -1
}

/** One encode(): copies `value` under structured clone's rules, or throws with the path. */
export class Walk {
  readonly root: string
  readonly patches: unknown[] = []
  readonly #copies = new Map<object, unknown>()
  readonly #segments: unknown[] = []

  constructor(root: string) {
    this.root = root
  }

  run(value: unknown): unknown {
    try {
      return this.#take(value)
    } catch (err) {
      if (err instanceof UnencodableValueError) throw err
      // A stack overflow on deep data, or something no rule foresaw: still a typed error.
      const deep = isOverflow(err)
      throw new UnencodableValueError(this.path(), deep ? 'too deep' : 'unsupported', deep ? TOO_DEEP : `could not be encoded (${describeError(err)})`)
    }
  }

  #take(v: unknown): unknown {
    if (typeof v !== 'object' || v === null) {
      if (typeof v === 'function') return this.#fail('function', `is a function, which ${DROP}`)
      if (typeof v === 'symbol') return this.#fail('symbol', `is a symbol, which ${DROP}`)
      return v
    }
    const seen = this.#copies.get(v)
    if (seen !== undefined) return seen
    let tag = ''
    try {
      if (Array.isArray(v)) tag = 'Array'
      else if (ArrayBuffer.isView(v)) tag = 'view'
      else tag = OBJECT_TAG.call(v).slice(8, -1)
    } catch (err) {
      return this.#unreadable(err)
    }
    switch (tag) {
      case 'Object':
        return this.#object(v)
      case 'Array':
        return this.#array(v as unknown[])
      case 'view':
        return this.#view(v)
      case 'Date':
        return this.#keep(v, new Date(this.#brand(v, tag, DATE_TIME) as number))
      case 'RegExp':
        this.#brand(v, tag, REGEXP_SOURCE)
        // new RegExp(regexp) copies the original source and flags from the internal slots;
        // lastIndex starts at 0, as structured clone leaves it.
        return this.#keep(v, this.#read(() => new RegExp(v as RegExp)))
      case 'Map':
        this.#brand(v, tag, MAP_HAS)
        return this.#map(v as Map<unknown, unknown>)
      case 'Set':
        this.#brand(v, tag, SET_HAS)
        return this.#set(v as Set<unknown>)
      case 'ArrayBuffer':
      case 'SharedArrayBuffer':
        this.#buffer(v)
        return this.#keep(v, v)
      case 'Number':
      case 'String':
      case 'Boolean':
      case 'BigInt':
        return this.#keep(v, Object(this.#brand(v, tag, UNBOX[tag] as (this: unknown) => unknown)))
      case 'Error':
        return this.#error(v as Error)
      default:
        return this.#refuse(v, tag)
    }
  }

  #keep<T>(original: object, copy: T): T {
    this.#copies.set(original, copy)
    return copy
  }

  /** Calls a built-in's slot reader: it throws for an imitation (a Proxy, a fake toStringTag). */
  #brand(v: object, tag: string, slot: (this: unknown, arg?: never) => unknown): unknown {
    try {
      return slot.call(v)
    } catch (err) {
      if (isOverflow(err)) return this.#fail('too deep', TOO_DEEP)
      return this.#fail('Proxy', `looks like a ${tag} but is not one (a Proxy, such as a reactive wrapper?), which structured clone refuses too: pass the real ${tag} (for example toRaw(value))`)
    }
  }

  #read<T>(get: () => T): T {
    try {
      return get()
    } catch (err) {
      return this.#unreadable(err)
    }
  }

  #child(v: unknown, key: unknown): unknown {
    if (!needsWalk(v)) return v
    this.#segments.push(key)
    const copy = this.#take(v)
    this.#segments.pop()
    return copy
  }

  #object(v: object): Record<string, unknown> {
    const copy: Record<string, unknown> = {}
    this.#copies.set(v, copy)
    const keys = this.#read(() => Object.keys(v))
    for (const k of keys) copy[escapeKey(k)] = this.#child(this.#prop(v, k), k)
    return copy
  }

  #prop(v: object, k: string | number): unknown {
    try {
      return (v as Record<string | number, unknown>)[k]
    } catch (err) {
      this.#segments.push(k)
      return this.#unreadable(err)
    }
  }

  #array(v: unknown[]): unknown[] {
    const [length, keys] = this.#read(() => [v.length, Object.keys(v)] as const)
    const copy = new Array<unknown>(length)
    this.#copies.set(v, copy)
    if (keys.length === length && (length === 0 || keys[length - 1] === String(length - 1))) {
      // Dense, nothing else on it: the common case.
      for (let i = 0; i < length; i++) copy[i] = this.#child(this.#prop(v, i), i)
      return copy
    }
    // Holes stay holes; other own properties (structured clone keeps them) go in a patch.
    let extras: Record<string, unknown> | undefined
    for (const k of keys) {
      const i = arrayIndex(k)
      if (i >= 0) copy[i] = this.#child(this.#prop(v, i), i)
      else (extras ??= {})[escapeKey(k)] = this.#child(this.#prop(v, k), k)
    }
    if (extras !== undefined) this.patches.push([EXTRAS, copy, extras])
    return copy
  }

  #map(v: Map<unknown, unknown>): Map<unknown, unknown> {
    const copy = new Map<unknown, unknown>()
    this.#copies.set(v, copy)
    let i = 0
    MAP_EACH.call(v, (value, key) => {
      let k = key
      if (needsWalk(k)) {
        this.#segments.push(MAP_KEY, i, undefined)
        k = this.#take(k)
        this.#segments.length -= 3
      }
      let x = value
      if (needsWalk(x)) {
        this.#segments.push(MAP_VALUE, i, key)
        x = this.#take(x)
        this.#segments.length -= 3
      }
      copy.set(k, x)
      i++
    })
    return copy
  }

  #set(v: Set<unknown>): Set<unknown> {
    const copy = new Set<unknown>()
    this.#copies.set(v, copy)
    let i = 0
    SET_EACH.call(v, (item) => {
      let x = item
      if (needsWalk(x)) {
        this.#segments.push(SET_ITEM, i, undefined)
        x = this.#take(x)
        this.#segments.length -= 3
      }
      copy.add(x)
      i++
    })
    return copy
  }

  /** A typed array or DataView: devalue copies its bytes (with its whole buffer, as structured clone does). */
  #view(v: object): object {
    this.#buffer(this.#read(() => (TA_TAG.call(v) !== undefined ? TA_BUFFER : DV_BUFFER).call(v)) as object)
    return this.#keep(v, v)
  }

  #buffer(b: object): void {
    const tag = this.#read(() => OBJECT_TAG.call(b))
    if (tag === '[object SharedArrayBuffer]')
      this.#fail('SharedArrayBuffer', 'is (or views) a SharedArrayBuffer, whose shared memory text cannot carry: send a copy (new Uint8Array(shared).slice()), or send it over structured clone (tabs without a key, a worker)')
    const length = this.#brand(b, 'ArrayBuffer', AB_LENGTH)
    if (AB_RESIZABLE?.call(b) === true) this.#fail('resizable ArrayBuffer', 'is (or views) a resizable ArrayBuffer, which would arrive fixed-length: send a fixed-length copy (buffer.slice(0))')
    if (length === 0) {
      try {
        AB_SLICE.call(b, 0, 0)
      } catch {
        this.#fail('detached ArrayBuffer', 'is (or views) a detached ArrayBuffer (it was transferred away; structured clone refuses it too): send it before transferring it, or send a copy')
      }
    }
  }

  #error(v: Error): ErrorRecord {
    // Structured clone's fields: the name (one of the standard seven, else 'Error'), an own
    // message (as a string), the stack if it is a string, an own cause.
    const name = this.#read(() => String(v.name))
    const fields: { n: string; m?: string; s?: string } = { n: ERRORS.has(name) ? name : 'Error' }
    const message = this.#read(() => Object.getOwnPropertyDescriptor(v, 'message'))
    if (message !== undefined && 'value' in message) fields.m = this.#read(() => String(message.value))
    const stack = this.#read(() => v.stack)
    if (typeof stack === 'string') fields.s = stack
    const cause = this.#read(() => Object.getOwnPropertyDescriptor(v, 'cause'))
    const record = this.#keep(v, new ErrorRecord(fields))
    if (cause !== undefined && 'value' in cause) this.patches.push([CAUSE, record, this.#child(cause.value, 'cause')])
    return record
  }

  #refuse(v: object, rawTag: string): never {
    const tag = rawTag.slice(0, 60)
    if (tag === 'Blob' || tag === 'File')
      this.#fail(tag, `is a ${tag}, which text cannot carry (its bytes can only be read asynchronously): send it over structured clone instead (tabs without a key, a worker), or read it first (await blob.arrayBuffer()) and send the ArrayBuffer`)
    if (CLONE_ONLY_TAGS.has(tag)) this.#fail(tag, `is a ${tag}, which ${CLONE_ONLY}`)
    const DomNode = (globalThis as { Node?: unknown }).Node
    let node = false
    try {
      node = typeof DomNode === 'function' && v instanceof DomNode
    } catch {
      // an instanceof that throws is no DOM node
    }
    if (node) this.#fail('DOM node', `is a DOM node (${tag}), which cannot leave its page: send the data you need from it (an id, its text, its attributes)`)
    if (tag === 'Symbol') this.#fail('symbol', `is a boxed symbol, which ${DROP}`)
    if (tag === 'Arguments') this.#fail('arguments', 'is an arguments object, which structured clone refuses too: copy it into an array (Array.from(arguments))')
    if (tag === 'URL' || tag === 'URLSearchParams') this.#fail(tag, `is a ${tag}, which structured clone refuses too: send its text (String(value)) instead`)
    return this.#fail(tag, `is a ${tag}, which ${DROP}`)
  }

  #unreadable(err: unknown): never {
    if (isOverflow(err)) return this.#fail('too deep', TOO_DEEP)
    return this.#fail('unreadable', `could not be read (${describeError(err)}): a getter threw, or it is a revoked Proxy; make it readable, or leave it out`)
  }

  #fail(kind: string, detail: string): never {
    throw new UnencodableValueError(this.path(), kind, detail)
  }

  /** `root.items[3].cb`, `root.m.get("k")`, `root.s.values()[2]`, at most ~400 characters. */
  path(): string {
    let p = this.root
    const s = this.#segments
    for (let i = 0; i < s.length; i++) {
      const seg = s[i]
      if (seg === MAP_KEY || seg === MAP_VALUE || seg === SET_ITEM) {
        const index = String(s[i + 1])
        const key = s[i + 2]
        i += 2
        if (seg === MAP_KEY) p += `.keys()[${index}]`
        else if (seg === SET_ITEM) p += `.values()[${index}]`
        else p += typeof key === 'string' ? `.get(${JSON.stringify(key.length > 40 ? key.slice(0, 40) + '…' : key)})` : typeof key === 'number' || typeof key === 'boolean' || key == null ? `.get(${String(key)})` : typeof key === 'bigint' ? `.get(${key}n)` : `.values()[${index}]`
      } else if (typeof seg === 'number') p += `[${seg}]`
      else {
        const k = String(seg)
        p += IDENTIFIER.test(k) ? `.${k}` : `[${JSON.stringify(k.length > 40 ? k.slice(0, 40) + '…' : k)}]`
      }
    }
    return p.length > 400 ? `${p.slice(0, 100)}…${p.slice(-290)}` : p
  }
}
