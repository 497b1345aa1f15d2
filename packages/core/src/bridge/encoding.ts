// The one type-preserving text encoding of Tidings, for every place data crosses as text (signed
// tabs batches, signed shared state, history export/import, the DevTools display). It keeps what
// structured clone keeps: Date, Map, Set, RegExp, typed arrays, ArrayBuffer, DataView, BigInt,
// NaN, ±Infinity, -0, undefined, holes, boxed primitives, Errors, cycles and shared references.
// What structured clone refuses (functions, symbols, WeakMaps, DOM nodes...), or what text cannot
// carry (Blob, File, shared memory), is refused where it enters, with the path. See docs/encoding.md.
//
// devalue writes and parses the text. In front of it, one walk (structured-walk.ts) applies
// structured clone's rules and names the path of whatever it refuses. What devalue has no form
// for (Errors, an own '__proto__' key, extra properties on arrays) is carried in the envelope:
// `[value]` or `[value, patches]`; decode() applies the patches after parsing.
// devalue's types name Float16Array (ES2025); the build targets ES2023 libs with skipLibCheck off.
/// <reference lib="es2025.float16" />
import { parse, stringify } from 'devalue'
import { MalformedEncodingError, UnencodableValueError } from '../errors.js'
import { describeError, isRecord } from './wire.js'
import { arrayIndex, CAUSE, ERRORS, ErrorRecord, EXTRAS, isOverflow, TOO_DEEP, Walk } from './structured-walk.js'

/** Where the first value that cannot be encoded sits (`data.items[3].cb`), and what it is. */
export interface Unencodable {
  path: string
  /** 'function', 'symbol', 'WeakMap', 'Blob', 'DOM node', 'unreadable', 'Proxy', ... */
  kind: string
}

/**
 * The text form of `value`. `what` names the value in errors ('data', 'state'...). Throws
 * UnencodableValueError, naming the path, for what structured clone refuses (functions, symbols,
 * WeakMaps, DOM nodes...) or text cannot carry (Blob, File, SharedArrayBuffer...).
 */
export function encode(value: unknown, what: string): string {
  const walk = new Walk(what)
  const root = walk.run(value)
  try {
    return stringify(walk.patches.length === 0 ? [root] : [root, walk.patches], REDUCERS)
  } catch (err) {
    const deep = isOverflow(err)
    throw new UnencodableValueError(what, deep ? 'too deep' : 'unsupported', deep ? TOO_DEEP : `could not be encoded (${describeError(err)})`)
  }
}

/** The value `encode()` made `text` from. Throws MalformedEncodingError, naming `what`, on anything else. */
export function decode(text: string, what: string): unknown {
  if (typeof text !== 'string') throw new MalformedEncodingError(what, `expected a string, got ${text === null ? 'null' : typeof text}`)
  let envelope: unknown
  try {
    envelope = parse(text, REVIVERS, PARSE_OPTIONS)
  } catch (err) {
    // devalue says 'Invalid input' with a plain Error; JSON.parse's SyntaxError keeps its name.
    throw new MalformedEncodingError(what, err instanceof Error && err.name === 'Error' ? err.message.slice(0, 200) : describeError(err))
  }
  if (!Array.isArray(envelope) || envelope.length < 1 || envelope.length > 2) throw new MalformedEncodingError(what, 'not an encoding envelope')
  if (envelope.length === 2) applyPatches(envelope[1], what)
  return envelope[0]
}

/** The first value in `value` that encode() would refuse, or undefined. Reads like encode() (getters run). */
export function findUnencodable(value: unknown, rootPath: string): Unencodable | undefined {
  try {
    new Walk(rootPath).run(value)
    return undefined
  } catch (err) {
    if (err instanceof UnencodableValueError) return { path: err.path, kind: err.kind }
    throw err
  }
}

const REDUCERS = { E: (v: unknown) => v instanceof ErrorRecord && v.fields }
const REVIVERS = { E: reviveError }
const PARSE_OPTIONS = {
  operations: {
    // Keys the walk escaped ('__proto__', and keys starting with \u0000) become own properties.
    set(target: Record<string | number, unknown>, key: string | number, value: unknown): void {
      if (typeof key === 'string' && key.charCodeAt(0) === 0) Object.defineProperty(target, key.slice(1), { value, writable: true, enumerable: true, configurable: true })
      else target[key] = value
    },
    // encode() never writes these; text that has them was made by something else.
    createNullPrototypeObject(): never {
      throw new Error('null-prototype objects are not part of this encoding')
    },
    fromStringValue(tag: string): never {
      throw new Error(`${tag} is not part of this encoding`)
    },
  },
}

function reviveError(fields: unknown): Error {
  if (!isRecord(fields) || typeof fields['n'] !== 'string') throw new Error('invalid Error record')
  const Ctor = ERRORS.get(fields['n'])
  const message = fields['m']
  const stack = fields['s']
  if (Ctor === undefined || (message !== undefined && typeof message !== 'string') || (stack !== undefined && typeof stack !== 'string')) throw new Error('invalid Error record')
  const error = message === undefined ? new Ctor() : new Ctor(message)
  if (stack === undefined) delete error.stack
  else Object.defineProperty(error, 'stack', { value: stack, writable: true, enumerable: false, configurable: true })
  return error
}

function applyPatches(patches: unknown, what: string): void {
  if (!Array.isArray(patches)) throw new MalformedEncodingError(what, 'the patch list is not an array')
  for (const patch of patches as unknown[]) {
    if (!Array.isArray(patch) || patch.length !== 3) throw new MalformedEncodingError(what, 'a patch is not [kind, target, value]')
    const [kind, target, value] = patch as [unknown, unknown, unknown]
    if (kind === CAUSE && target instanceof Error && !Object.hasOwn(target, 'cause')) {
      Object.defineProperty(target, 'cause', { value, writable: true, enumerable: false, configurable: true })
    } else if (kind === EXTRAS && Array.isArray(target) && isRecord(value)) {
      for (const k of Object.keys(value)) {
        if (arrayIndex(k) >= 0 || k === 'length') throw new MalformedEncodingError(what, `an array patch sets "${k.slice(0, 20)}"`)
        Object.defineProperty(target, k, { value: value[k], writable: true, enumerable: true, configurable: true })
      }
    } else throw new MalformedEncodingError(what, 'a patch does not fit its target')
  }
}
