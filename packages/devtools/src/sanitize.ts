// Makes event data safe to leave the page: redacted fields replaced, the result JSON-safe (the
// extension's ports serialize as JSON) and bounded. The work per call is bounded too, not just
// the result: collections are capped while they are iterated (the first N entries through the
// iterator or a counted for-in), never spread or listed in full first, so a Map of 200k entries
// costs what a Map of 200 does. Cycles and explosions are cut by a depth limit and a node budget
// instead of a seen-set (no per-call Set).
//
// User data is hostile input here: getters throw, Proxies get revoked. Every read is guarded and
// a value that cannot be read becomes a placeholder naming its path and the error, so the event
// is still shown.
//
// While walking it also estimates how large the ORIGINAL value is (see SanitizeReport): the replay
// buffer holds originals, so that is what its byte bound has to count.
import { describeError } from '@tidings/core/bridge'

export type RedactPath = readonly string[]

export interface SanitizeLimits {
  maxDepth: number
  /** Entries taken from an object or a Map. */
  maxKeys: number
  /** Items taken from an array or a Set. */
  maxArray: number
  /** Characters kept of a string. */
  maxString: number
  /** Values visited per call; what is left is shown as '[…]'. */
  maxNodes: number
  /** Approximate JSON size of the result; past it, values are shown as '[…]'. */
  maxBytes: number
}

export const DEFAULT_LIMITS: SanitizeLimits = { maxDepth: 8, maxKeys: 200, maxArray: 200, maxString: 4000, maxNodes: 5000, maxBytes: 128 * 1024 }
export const REDACTED = '[redacted]'
/** Shown instead of a value once a budget (nodes, bytes) is spent. */
export const LEFT_OUT = '[…]'

/** What sanitize() learnt about the original value. Calls add to it (data, then metadata). */
export interface SanitizeReport {
  /** Estimated JSON size of the original, in bytes: exact for what was walked (strings count
   *  their length), extrapolated for the entries a cap left out when their number is known
   *  (array length, Map/Set size, byteLength), at the average size of the entries kept. */
  bytes: number
  /** false when part of the original was left out without knowing how big it is (an object
   *  with more keys than the agent counts, anything below the depth limit or past a budget, an
   *  unreadable value): then `bytes` is only a lower bound. */
  sized: boolean
  /** The result differs from the original: redacted, capped or a placeholder. */
  cut: boolean
}

export const newReport = (): SanitizeReport => ({ bytes: 0, sized: true, cut: false })

/** Compiled redaction rules. A one-segment rule (`password`) removes that key at any depth; a
 *  dotted rule (`user.card.number`) removes that path from the root; `*` matches any one key
 *  (array indexes included). */
export interface Redactor {
  readonly anywhere: ReadonlySet<string>
  readonly roots: readonly RedactPath[]
}

const NONE: readonly RedactPath[] = []
/** An object's keys are counted up to this many times maxKeys to size what was left out. */
const COUNT_FACTOR = 10
const MAX_KEY = 200
const TYPED_ITEMS = 32
const hasOwn = Object.prototype.hasOwnProperty
const mapEntries = Map.prototype.entries
const setValues = Set.prototype.values
const getTime = Date.prototype.getTime

export function compileRedactor(rules: readonly string[]): Redactor {
  const anywhere = new Set<string>()
  const roots: RedactPath[] = []
  for (const r of rules) {
    const parts = r.split('.')
    if (parts.length === 1) anywhere.add(r)
    else roots.push(parts)
  }
  return { anywhere, roots }
}

interface Ctx {
  redactor: Redactor | undefined
  limits: SanitizeLimits
  nodes: number
  /** Approximate JSON bytes of the result so far. */
  out: number
  /** Estimated JSON bytes of the original so far. */
  orig: number
  sized: boolean
  cut: boolean
  /** Keys from the root to the value being walked (path[d] is the key taken at depth d). */
  path: (string | number)[]
  root: string
}

/**
 * Deep, bounded, JSON-safe copy of `value` with redacted keys replaced by '[redacted]'. Never
 * throws. `report` (optional) accumulates the size estimate; `root` names the value in
 * placeholders ('data', 'metadata').
 */
export function sanitize(value: unknown, redactor: Redactor | undefined, limits: SanitizeLimits = DEFAULT_LIMITS, report?: SanitizeReport, root = 'data'): unknown {
  const ctx: Ctx = { redactor, limits, nodes: 0, out: 0, orig: 0, sized: true, cut: false, path: [], root }
  const out = walk(value, 0, redactor ? redactor.roots : NONE, ctx)
  if (report) {
    report.bytes += ctx.orig
    report.sized &&= ctx.sized
    report.cut ||= ctx.cut
  }
  return out
}

/** Rules that continue below `key`, or undefined when `key` itself is redacted. */
function step(ctx: Ctx, active: readonly RedactPath[], key: string): readonly RedactPath[] | undefined {
  const r = ctx.redactor
  if (r === undefined) return NONE
  if (r.anywhere.size !== 0 && r.anywhere.has(key)) return undefined
  if (active.length === 0) return NONE
  let next: RedactPath[] | undefined
  for (const path of active) {
    const head = path[0]
    if (head !== key && head !== '*') continue
    if (path.length === 1) return undefined
    ;(next ??= []).push(path.slice(1))
  }
  return next ?? NONE
}

function walk(v: unknown, depth: number, active: readonly RedactPath[], ctx: Ctx): unknown {
  switch (typeof v) {
    case 'string':
      return str(v, ctx)
    case 'number':
      ctx.out += 8
      ctx.orig += 8
      return Number.isFinite(v) ? v : String(v)
    case 'boolean':
      ctx.out += 5
      ctx.orig += 5
      return v
    case 'undefined':
      ctx.out += 4
      ctx.orig += 4
      return null
    case 'bigint': {
      // Decimal toString of a huge bigint is not cheap (hex is linear): only small ones are written.
      const hex = v.toString(16)
      ctx.orig += hex.length
      return str(hex.length > 64 ? `[bigint of ${hex.length} hex digits]` : `${v}n`, ctx)
    }
    case 'symbol':
      return str(v.toString(), ctx)
  }
  if (v === null) {
    ctx.out += 4
    ctx.orig += 4
    return null
  }
  if (++ctx.nodes > ctx.limits.maxNodes || ctx.out > ctx.limits.maxBytes) return mark(ctx, LEFT_OUT, false)
  try {
    return object(v as object, depth, active, ctx)
  } catch (err) {
    return unreadable(ctx, depth, err)
  }
}

function str(s: string, ctx: Ctx): string {
  ctx.orig += s.length + 2
  if (ctx.out > ctx.limits.maxBytes) return mark(ctx, LEFT_OUT, true)
  const max = ctx.limits.maxString
  if (s.length <= max) {
    ctx.out += s.length + 2
    return s
  }
  ctx.cut = true
  ctx.out += max + 20
  return `${s.slice(0, max)}… (${s.length} chars)`
}

/** A description shown instead of a value; `sized` says whether its size was counted already. */
function mark(ctx: Ctx, what: string, sized: boolean): string {
  ctx.cut = true
  ctx.sized &&= sized
  ctx.out += what.length + 2
  return what
}

function unreadable(ctx: Ctx, depth: number, err: unknown): string {
  const where = [ctx.root, ...ctx.path.slice(0, depth)].join('.')
  return mark(ctx, `[unreadable ${where.slice(0, MAX_KEY)}: ${describeError(err)}]`, false)
}

/** Charges `left` entries a cap left out at the average size of the `taken` entries walked since `before`. */
function extrapolate(ctx: Ctx, before: number, taken: number, left: number): void {
  ctx.cut = true
  ctx.orig += left * Math.max(taken > 0 ? (ctx.orig - before) / taken : 8, 1)
}

/** Reads o[key] (a getter may throw) and walks it; path[depth] must already be set. */
function child(o: Record<string | number, unknown>, key: string | number, depth: number, next: readonly RedactPath[] | undefined, ctx: Ctx): unknown {
  let v: unknown
  try {
    v = o[key]
  } catch (err) {
    // A redacted field stays '[redacted]' even when reading it failed (its error could quote it).
    return next === undefined ? mark(ctx, REDACTED, false) : unreadable(ctx, depth + 1, err)
  }
  return descend(v, depth, next, ctx)
}

/** Walks a child value, or replaces it when `next` says it is redacted. */
function descend(v: unknown, depth: number, next: readonly RedactPath[] | undefined, ctx: Ctx): unknown {
  return next === undefined ? redacted(v, depth + 1, ctx) : walk(v, depth + 1, next, ctx)
}

/** A redacted value: replaced, but still walked (output dropped) so its size is known. */
function redacted(v: unknown, depth: number, ctx: Ctx): string {
  const out = ctx.out
  walk(v, depth, NONE, ctx)
  ctx.out = out + REDACTED.length + 2
  ctx.cut = true
  return REDACTED
}

function setKey(out: Record<string, unknown>, key: string, value: unknown): void {
  // A plain assignment of '__proto__' would set the prototype, and the key would vanish.
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  else out[key] = value
}

function capKey(key: string): string {
  return key.length > MAX_KEY ? `${key.slice(0, MAX_KEY)}…` : key
}

/** A Map key as an object key, without calling user code (String() of an object could). */
function mapKey(k: unknown, i: number): string {
  return typeof k === 'string' ? capKey(k) : (typeof k === 'object' && k !== null) || typeof k === 'function' ? `[key ${i}]` : capKey(String(k))
}

function object(o: object, depth: number, active: readonly RedactPath[], ctx: Ctx): unknown {
  const { limits } = ctx
  if (typeof o === 'function') {
    const name: unknown = o.name
    return str(`[Function ${typeof name === 'string' && name ? name.slice(0, MAX_KEY) : 'anonymous'}]`, ctx)
  }
  if (Array.isArray(o)) {
    const len = o.length
    if (depth >= limits.maxDepth) return mark(ctx, `[Array(${len})]`, false)
    const n = Math.min(len, limits.maxArray)
    const out: unknown[] = new Array(n)
    const before = ctx.orig
    ctx.out += 2
    for (let i = 0; i < n; i++) {
      ctx.path[depth] = i
      out[i] = child(o as unknown as Record<number, unknown>, i, depth, active.length === 0 ? NONE : step(ctx, active, String(i)), ctx)
      ctx.out++
    }
    ctx.orig += 2 + n
    if (len > n) {
      extrapolate(ctx, before, n, len - n)
      out.push(str(`… ${len - n} more`, ctx))
    }
    return out
  }
  const proto: unknown = Object.getPrototypeOf(o)
  if (proto !== Object.prototype && proto !== null) {
    if (o instanceof Map) return map(o, depth, active, ctx)
    if (o instanceof Set) return set(o, depth, active, ctx)
    if (ArrayBuffer.isView(o)) return typed(o, ctx)
    if (o instanceof ArrayBuffer) {
      ctx.orig += o.byteLength
      return mark(ctx, `[ArrayBuffer(${o.byteLength} bytes)]`, true)
    }
    if (o instanceof Date) {
      const t = getTime.call(o)
      return str(Number.isNaN(t) ? 'Invalid Date' : new Date(t).toISOString(), ctx)
    }
    if (o instanceof Error) return { name: str(String(o.name), ctx), message: str(String(o.message), ctx) }
    if (o instanceof RegExp) return str(String(o), ctx)
    if (typeof Blob !== 'undefined' && o instanceof Blob) {
      ctx.orig += o.size
      return mark(ctx, `[${o.constructor.name}(${o.size} bytes)]`, true)
    }
    if (typeof Node !== 'undefined' && o instanceof Node) return str(`[${o.nodeName}]`, ctx)
    if (o instanceof Promise || o instanceof WeakMap || o instanceof WeakSet)
      return str(`[${Object.prototype.toString.call(o).slice(8, -1)}]`, ctx)
  }
  if (depth >= limits.maxDepth) return mark(ctx, '[Object]', false)
  return plain(o as Record<string, unknown>, depth, active, ctx)
}

function plain(o: Record<string, unknown>, depth: number, active: readonly RedactPath[], ctx: Ctx): Record<string, unknown> {
  const max = ctx.limits.maxKeys
  const out: Record<string, unknown> = {}
  const before = ctx.orig
  let taken = 0
  let more = 0
  let uncounted = false
  ctx.out += 2
  // A counted for-in: V8 lists an object's keys once before the first iteration (native, about
  // 0.2 µs a key for a 200k-key object); the JS work below stops after max + max * COUNT_FACTOR keys.
  for (const key in o) {
    if (!hasOwn.call(o, key)) continue
    if (taken >= max) {
      if (++more > max * COUNT_FACTOR) {
        uncounted = true
        break
      }
      continue
    }
    taken++
    ctx.path[depth] = key
    const k = capKey(key)
    setKey(out, k, child(o, key, depth, step(ctx, active, key), ctx))
    ctx.out += k.length + 4
    ctx.orig += key.length + 4
  }
  ctx.orig += 2
  if (more > 0) {
    if (uncounted) {
      ctx.cut = true
      ctx.sized = false
    } else extrapolate(ctx, before, taken, more)
    setKey(out, '…', str(uncounted ? `over ${max * COUNT_FACTOR} more keys` : `${more} more keys`, ctx))
  }
  return out
}

function map(o: Map<unknown, unknown>, depth: number, active: readonly RedactPath[], ctx: Ctx): unknown {
  const size = o.size
  if (depth >= ctx.limits.maxDepth) return mark(ctx, `[Map(${size})]`, false)
  const max = ctx.limits.maxKeys
  const out: Record<string, unknown> = {}
  const before = ctx.orig
  let i = 0
  ctx.out += 2
  // Taken through the iterator: never [...map], which would copy every entry first.
  for (const [k, v] of mapEntries.call(o)) {
    if (i >= max) break
    const key = mapKey(k, i)
    ctx.path[depth] = key
    setKey(out, key, descend(v, depth, step(ctx, active, key), ctx))
    ctx.out += key.length + 4
    ctx.orig += key.length + 4
    i++
  }
  ctx.orig += 2
  if (size > i) {
    extrapolate(ctx, before, i, size - i)
    setKey(out, '…', str(`${size - i} more entries`, ctx))
  }
  return out
}

function set(o: Set<unknown>, depth: number, active: readonly RedactPath[], ctx: Ctx): unknown {
  const size = o.size
  if (depth >= ctx.limits.maxDepth) return mark(ctx, `[Set(${size})]`, false)
  const max = ctx.limits.maxArray
  const out: unknown[] = []
  const before = ctx.orig
  ctx.out += 2
  for (const v of setValues.call(o)) {
    const i = out.length
    if (i >= max) break
    ctx.path[depth] = i
    out.push(descend(v, depth, active.length === 0 ? NONE : step(ctx, active, String(i)), ctx))
    ctx.out++
  }
  const n = out.length
  ctx.orig += 2 + n
  if (size > n) {
    extrapolate(ctx, before, n, size - n)
    out.push(str(`… ${size - n} more`, ctx))
  }
  return out
}

/** Typed arrays as the console writes them, with the first few values: Uint8Array(5) [1, 2, 3, 4, 5]. */
function typed(o: ArrayBufferView, ctx: Ctx): string {
  const name = Object.prototype.toString.call(o).slice(8, -1)
  ctx.orig += o.byteLength
  if (!('length' in o)) return mark(ctx, `[${name}(${o.byteLength} bytes)]`, true)
  const a = o as unknown as ArrayLike<number | bigint>
  const len = a.length
  const n = Math.min(len, TYPED_ITEMS)
  const parts: string[] = []
  for (let i = 0; i < n; i++) parts.push(String(a[i]))
  if (len > n) {
    parts.push(`… ${len - n} more`)
    ctx.cut = true
  }
  const s = `${name}(${len}) [${parts.join(', ')}]`
  ctx.out += s.length + 2
  return s
}
