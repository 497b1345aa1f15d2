// Makes event data safe to leave the page: redacted fields removed, the result JSON-safe (the
// extension's ports serialize as JSON) and bounded (a huge payload must not stall the page).
export type RedactPath = readonly string[]

export interface SanitizeLimits {
  maxDepth: number
  maxKeys: number
  maxArray: number
  maxString: number
}

export const DEFAULT_LIMITS: SanitizeLimits = { maxDepth: 8, maxKeys: 200, maxArray: 200, maxString: 4000 }
export const REDACTED = '[redacted]'

/** Compiled redaction rules. A one-segment rule (`password`) removes that key at any depth; a
 *  dotted rule (`user.card.number`) removes that path from the root; `*` matches any one key. */
export interface Redactor {
  /** Rules still alive below a key, or REMOVE when the key itself is redacted. */
  step(active: readonly RedactPath[], key: string): readonly RedactPath[] | typeof REMOVE
  readonly anywhere: ReadonlySet<string>
  readonly roots: readonly RedactPath[]
}

export const REMOVE = Symbol('remove')
const NONE: readonly RedactPath[] = []

export function compileRedactor(rules: readonly string[]): Redactor {
  const anywhere = new Set<string>()
  const roots: RedactPath[] = []
  for (const r of rules) {
    const parts = r.split('.')
    if (parts.length === 1) anywhere.add(r)
    else roots.push(parts)
  }
  return {
    anywhere,
    roots,
    step(active, key) {
      if (anywhere.has(key)) return REMOVE
      if (active.length === 0) return NONE
      let next: RedactPath[] | undefined
      for (const path of active) {
        const head = path[0]
        if (head !== key && head !== '*') continue
        if (path.length === 1) return REMOVE
        ;(next ??= []).push(path.slice(1))
      }
      return next ?? NONE
    },
  }
}

/** Deep, bounded, JSON-safe copy of `value` with redacted keys replaced by '[redacted]'. */
export function sanitize(value: unknown, redactor: Redactor | undefined, limits: SanitizeLimits = DEFAULT_LIMITS): unknown {
  const seen = new Set<object>()
  const walk = (v: unknown, depth: number, active: readonly RedactPath[]): unknown => {
    switch (typeof v) {
      case 'string':
        return v.length > limits.maxString ? `${v.slice(0, limits.maxString)}… (${v.length} chars)` : v
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
    const o = v as object
    if (seen.has(o)) return '[Circular]'
    if (depth >= limits.maxDepth) return Array.isArray(o) ? `[Array(${o.length})]` : '[Object]'
    if (o instanceof Date) return Number.isNaN(o.getTime()) ? 'Invalid Date' : o.toISOString()
    if (o instanceof Error) return { name: o.name, message: o.message }
    if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) return `[${o.constructor.name}(${o.byteLength} bytes)]`
    if (typeof Node !== 'undefined' && o instanceof Node) return `[${o.nodeName}]`
    seen.add(o)
    try {
      if (Array.isArray(o) || o instanceof Set) {
        const arr = Array.isArray(o) ? o : [...o]
        const n = Math.min(arr.length, limits.maxArray)
        const out: unknown[] = new Array(n)
        for (let i = 0; i < n; i++) out[i] = walk(arr[i], depth + 1, active.length ? stepArray(active) : NONE)
        if (arr.length > n) out.push(`… ${arr.length - n} more`)
        return out
      }
      const entries: Iterable<[unknown, unknown]> = o instanceof Map ? o.entries() : Object.entries(o)
      const out: Record<string, unknown> = {}
      let count = 0
      for (const [k, val] of entries) {
        const key = String(k)
        if (count++ >= limits.maxKeys) {
          out['…'] = 'more keys left out'
          break
        }
        const next = redactor ? redactor.step(active, key) : NONE
        out[key] = next === REMOVE ? REDACTED : walk(val, depth + 1, next)
      }
      return out
    } finally {
      seen.delete(o)
    }
  }
  return walk(value, 0, redactor ? redactor.roots : NONE)
}

// Array indexes consume one path segment ('items.*.secret' reaches into arrays).
function stepArray(active: readonly RedactPath[]): readonly RedactPath[] {
  const next: RedactPath[] = []
  for (const p of active) if (p.length > 1 && (p[0] === '*' || /^\d+$/.test(p[0]!))) next.push(p.slice(1))
  return next
}
