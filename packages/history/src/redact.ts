// Keeps listed data fields out of storage. Copy-on-write along each matching path, so the live
// event (already delivered to subscribers) is never mutated and unrelated branches are shared.
import { InvalidHistoryInputError } from './errors.js'

export const REDACTED = '[redacted]'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null

export type Redactor = <T>(data: T) => T

export function compileRedact(paths: readonly string[] | undefined): Redactor | undefined {
  if (paths === undefined || paths.length === 0) return undefined
  if (!Array.isArray(paths)) throw new InvalidHistoryInputError('redact', paths, 'must be an array of field paths like ["password", "card.number", "*.token"]')
  const compiled = paths.map((p) => {
    if (typeof p !== 'string' || p.length === 0 || p.split('.').some((s) => s.length === 0))
      throw new InvalidHistoryInputError('redact', p, 'each path must be a non-empty dot path relative to data, e.g. "card.number" ("*" matches one key)')
    return p.split('.')
  })
  return <T>(data: T): T => {
    let out: unknown = data
    for (const segs of compiled) out = redactPath(out, segs, 0)
    return out as T
  }
}

function redactPath(value: unknown, segs: readonly string[], i: number): unknown {
  if (!isObj(value)) return value
  const seg = segs[i]!
  const last = i === segs.length - 1
  const keys = seg === '*' ? Object.keys(value) : Object.hasOwn(value, seg) ? [seg] : []
  if (keys.length === 0) return value
  let copy: Obj | unknown[] | undefined
  for (const k of keys) {
    const before = (value as Obj)[k]
    const after = last ? REDACTED : redactPath(before, segs, i + 1)
    if (after === before) continue
    copy ??= Array.isArray(value) ? [...value] : { ...value }
    ;(copy as Obj)[k] = after
  }
  return copy ?? value
}
