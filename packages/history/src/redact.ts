// Keeps listed data fields out of storage. Copy-on-write along each matching path, so the live
// event (already delivered to subscribers) is never mutated and unrelated branches are shared.
// Every read of the data is guarded: a getter that throws or a revoked Proxy becomes a
// ReadFailure naming the path ('data.card'), which the caller turns into that event's error.
import { InvalidHistoryInputError, ReadFailure } from './errors.js'

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
    for (const segs of compiled) out = redactPath(out, segs, 0, 'data')
    return out as T
  }
}

/** `get()`, or a ReadFailure naming `path` when it throws. */
function read<T>(path: string, get: () => T): T {
  try {
    return get()
  } catch (err) {
    throw new ReadFailure(path, err)
  }
}

function redactPath(value: unknown, segs: readonly string[], i: number, path: string): unknown {
  if (!isObj(value)) return value
  const seg = segs[i]!
  const last = i === segs.length - 1
  const keys = read(path, () => (seg === '*' ? Object.keys(value) : Object.hasOwn(value, seg) ? [seg] : []))
  if (keys.length === 0) return value
  let copy: Obj | undefined
  for (const k of keys) {
    const at = `${path}.${k}`
    const before = read(at, () => value[k])
    const after = last ? REDACTED : redactPath(before, segs, i + 1, at)
    if (after === before) continue
    if (!copy) {
      // A shallow copy, each property read on its own so a failure names it (holes stay holes).
      copy = read(path, () => (Array.isArray(value) ? new Array<unknown>(value.length) : {})) as Obj
      for (const key of read(path, () => Object.keys(value))) copy[key] = read(`${path}.${key}`, () => value[key])
    }
    copy[k] = after
  }
  return copy ?? value
}
