// Finds the first value structured clone would refuse (functions, symbols, DOM nodes, promises,
// weak collections...) and where it sits, so the error can name `data.callback` instead of the
// browser's bare "DataCloneError: could not be cloned". Runs on every forwarded event, so the
// common shapes (primitives, plain objects, arrays) take the short path and allocate nothing.

export interface UncloneableValue {
  /** Dotted path from the root, e.g. `data.items.3.el`. */
  path: string
  /** typeof, or the object's class tag (`HTMLDivElement`, `WeakMap`, `Promise`). */
  kind: string
}

// Object class tags that structured clone copies as opaque leaves (HTML spec "serializable objects"
// plus the JS built-ins). Anything else with a non-Object tag is a platform object that throws.
const LEAF_TAGS = new Set([
  'Date', 'RegExp', 'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'Boolean', 'Number', 'String', 'BigInt', 'Error',
  'Blob', 'File', 'FileList', 'ImageData', 'ImageBitmap', 'CryptoKey', 'RTCCertificate', 'VideoFrame', 'AudioData',
  'DOMPoint', 'DOMPointReadOnly', 'DOMRect', 'DOMRectReadOnly', 'DOMQuad', 'DOMMatrix', 'DOMMatrixReadOnly',
  'FileSystemFileHandle', 'FileSystemDirectoryHandle',
])

const objectToString = Object.prototype.toString
const MAX_FAST_DEPTH = 64

/** The first uncloneable value in `value`, or undefined when structured clone would accept it. */
export function findUncloneable(value: unknown, root = 'data'): UncloneableValue | undefined {
  const t = typeof value
  if (t !== 'object' && t !== 'function' && t !== 'symbol') return undefined
  if (value === null) return undefined
  // Depth-bounded walk without a visited set (no allocation); deeper than that is probably a
  // cycle, which structured clone allows, so walk again remembering what was seen.
  const fast = walk(value, root, 0, undefined)
  if (fast !== DEEP) return fast
  return walk(value, root, 0, new Set()) as UncloneableValue | undefined
}

const DEEP = { path: '', kind: '' } satisfies UncloneableValue

function walk(v: unknown, path: string, depth: number, seen: Set<object> | undefined): UncloneableValue | undefined {
  const t = typeof v
  if (t === 'function') return { path, kind: 'function' }
  if (t === 'symbol') return { path, kind: 'symbol' }
  if (t !== 'object' || v === null) return undefined
  const o = v as object
  if (seen === undefined) {
    if (depth > MAX_FAST_DEPTH) return DEEP
  } else {
    if (seen.has(o)) return undefined
    seen.add(o)
  }
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const r = walk(o[i], `${path}.${i}`, depth + 1, seen)
      if (r !== undefined) return r
    }
    return undefined
  }
  const proto: unknown = Object.getPrototypeOf(o)
  if (proto !== Object.prototype && proto !== null) {
    const tag = objectToString.call(o).slice(8, -1)
    if (tag === 'Map') {
      let i = 0
      for (const [k, val] of o as Map<unknown, unknown>) {
        const r = walk(k, `${path}.<key ${i}>`, depth + 1, seen) ?? walk(val, `${path}.${mapKey(k, i)}`, depth + 1, seen)
        if (r !== undefined) return r
        i++
      }
      return undefined
    }
    if (tag === 'Set') {
      let i = 0
      for (const val of o as Set<unknown>) {
        const r = walk(val, `${path}.<item ${i}>`, depth + 1, seen)
        if (r !== undefined) return r
        i++
      }
      return undefined
    }
    if (LEAF_TAGS.has(tag)) return undefined
    // A user class instance reports 'Object' and is cloned as a plain object (its prototype is
    // lost, which is allowed). Any other tag is rare: ask the browser itself whether it clones
    // (DOM nodes, promises, weak collections and transfer-only ports do not).
    if (tag !== 'Object') return clones(o) ? undefined : { path, kind: tag }
  }
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue
    const r = walk((o as Record<string, unknown>)[k], `${path}.${k}`, depth + 1, seen)
    if (r !== undefined) return r
  }
  return undefined
}

function mapKey(k: unknown, i: number): string {
  return typeof k === 'string' || typeof k === 'number' ? String(k) : `<value ${i}>`
}

function clones(o: object): boolean {
  try {
    structuredClone(o)
    return true
  } catch {
    return false
  }
}

/** The first uncloneable value of an event's `data`, then of its `metadata` (paths start with
 *  `data` or `metadata`): what the worker bridge, the worker pool and an unkeyed tabs bridge name
 *  when structured clone refuses an event. */
export function findUncloneableInEvent(data: unknown, metadata?: unknown): UncloneableValue | undefined {
  return findUncloneable(data, 'data') ?? (metadata !== undefined ? findUncloneable(metadata, 'metadata') : undefined)
}
