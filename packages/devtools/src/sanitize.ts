// Makes event data safe to leave the page: redacted fields replaced, the result JSON-safe (the
// extension's ports serialize as JSON) and bounded (a huge or cyclic payload must not stall the
// page). Runs once per streamed event, so it avoids per-call closures and sets: cycles and
// explosions are cut by a depth limit and a node budget instead of a seen-set.
export type RedactPath = readonly string[]

export interface SanitizeLimits {
  maxDepth: number
  maxKeys: number
  maxArray: number
  maxString: number
  /** Values visited per call; what is left is shown as '[…]'. */
  maxNodes: number
}

export const DEFAULT_LIMITS: SanitizeLimits = { maxDepth: 8, maxKeys: 200, maxArray: 200, maxString: 4000, maxNodes: 5000 }
export const REDACTED = '[redacted]'

/** Compiled redaction rules. A one-segment rule (`password`) removes that key at any depth; a
 *  dotted rule (`user.card.number`) removes that path from the root; `*` matches any one key
 *  (array indexes included). */
export interface Redactor {
  readonly anywhere: ReadonlySet<string>
  readonly roots: readonly RedactPath[]
}

const NONE: readonly RedactPath[] = []

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
}

/** Deep, bounded, JSON-safe copy of `value` with redacted keys replaced by '[redacted]'. */
export function sanitize(value: unknown, redactor: Redactor | undefined, limits: SanitizeLimits = DEFAULT_LIMITS): unknown {
  return walk(value, 0, redactor ? redactor.roots : NONE, { redactor, limits, nodes: 0 })
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
      return v.length > ctx.limits.maxString ? `${v.slice(0, ctx.limits.maxString)}… (${v.length} chars)` : v
    case 'number':
      return Number.isFinite(v) ? v : String(v)
    case 'boolean':
      return v
    case 'undefined':
      return null
    case 'bigint':
      return `${v}n`
    case 'symbol':
      return v.toString()
    case 'function':
      return `[Function ${v.name || 'anonymous'}]`
  }
  if (v === null) return null
  if (++ctx.nodes > ctx.limits.maxNodes) return '[…]'
  const o = v as object
  const { limits } = ctx
  if (Array.isArray(o)) {
    if (depth >= limits.maxDepth) return `[Array(${o.length})]`
    const n = Math.min(o.length, limits.maxArray)
    const out: unknown[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const next = active.length === 0 ? NONE : step(ctx, active, String(i))
      out[i] = next === undefined ? REDACTED : walk(o[i], depth + 1, next, ctx)
    }
    if (o.length > n) out.push(`… ${o.length - n} more`)
    return out
  }
  const proto: unknown = Object.getPrototypeOf(o)
  if (proto !== Object.prototype && proto !== null) {
    if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString()
    if (o instanceof Error) return { name: o.name, message: o.message }
    if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) return `[${o.constructor.name}(${o.byteLength} bytes)]`
    if (typeof Node !== 'undefined' && o instanceof Node) return `[${o.nodeName}]`
    if (o instanceof Set) return walk([...o], depth, active, ctx)
    if (o instanceof Map) return walk(Object.fromEntries([...o].map(([k, val]) => [String(k), val])), depth, active, ctx)
    if (o instanceof Promise || o instanceof WeakMap || o instanceof WeakSet) return `[${o.constructor.name}]`
  }
  if (depth >= limits.maxDepth) return '[Object]'
  const out: Record<string, unknown> = {}
  let count = 0
  for (const key in o) {
    if (!Object.prototype.hasOwnProperty.call(o, key)) continue
    if (count++ >= limits.maxKeys) {
      out['…'] = 'more keys left out'
      break
    }
    const next = step(ctx, active, key)
    out[key] = next === undefined ? REDACTED : walk((o as Record<string, unknown>)[key], depth + 1, next, ctx)
  }
  return out
}
