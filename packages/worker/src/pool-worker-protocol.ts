// The worker's side of the pool protocol (pool-protocol.ts has the shapes and the page's side):
// registerHandlers reads the page's connect, answers with status messages, and turns what a
// handler threw into a message that always posts. Only worker scripts bundle this file.
import { describeError, findUncloneable, isId, isRecord, readTagged } from '@tidings/core/bridge'
import {
  connectMessage,
  define,
  LEGACY_POOL_TAG,
  MAX_CAUSE_DEPTH,
  MAX_ERROR_FIELDS,
  POOL_TAG,
  POOL_VERSION,
  RESERVED,
  type PoolConnectMessage,
  type PoolErrorMessage,
  type PoolIgnoredMessage,
  type PoolRead,
  type PoolStatusMessage,
  type PoolThrownMessage,
  type WireError,
} from './pool-protocol.js'

export function statusMessage(kind: PoolStatusMessage['kind']): PoolStatusMessage {
  return { tag: POOL_TAG, v: POOL_VERSION, kind }
}

export function ignoredMessage(what: PoolIgnoredMessage['what']): PoolIgnoredMessage {
  return { tag: POOL_TAG, v: POOL_VERSION, kind: 'ignored', what }
}

const FOREIGN = { status: 'foreign' } as const

function malformed(reason: string): { status: 'malformed'; reason: string } {
  return { status: 'malformed', reason }
}

/** Worker side, a message on `self`. Only 'connect' travels that way. */
export function readConnect(data: unknown): PoolRead<PoolConnectMessage> {
  const t = readTagged(data, POOL_TAG, POOL_VERSION)
  if (t.status === 'foreign')
    return isLegacy(data)
      ? malformed(`a '${LEGACY_POOL_TAG}' message of the unversioned pool protocol: the page and the worker use different @tidings/worker builds`)
      : FOREIGN
  if (t.status === 'malformed') return t
  if (t.kind !== 'connect') return malformed(`unexpected ${POOL_TAG} message "${t.kind}" on the worker's scope`)
  try {
    const port = t.msg['port']
    const lock = t.msg['lock']
    if (!(port instanceof MessagePort)) return malformed(`${POOL_TAG} connect without a MessagePort`)
    if (lock !== undefined && !isId(lock)) return malformed(`${POOL_TAG} connect with an invalid lock name`)
    return { status: 'ok', msg: connectMessage(port, lock) }
  } catch (err) {
    return malformed(`${POOL_TAG} connect could not be read: ${describeError(err)}`)
  }
}

function isLegacy(data: unknown): boolean {
  try {
    return isRecord(data) && data['tag'] === LEGACY_POOL_TAG
  } catch {
    return false
  }
}

// ------------------------------------------------------------------ errors

/** What a handler threw, as the value to throw through Comlink. Never throws; the result holds
 *  only structured clones, so it always posts. */
export function thrownToWire(thrown: unknown): PoolErrorMessage | PoolThrownMessage {
  try {
    if (thrown instanceof Error) return { tag: POOL_TAG, v: POOL_VERSION, kind: 'error', error: errorToWire(thrown, 0, new Set()) }
    const uncloneable: string[] = []
    const kept = cloneValue(thrown, 'cause', uncloneable)
    const msg: PoolThrownMessage = { tag: POOL_TAG, v: POOL_VERSION, kind: 'thrown', text: describeThrown(thrown), uncloneable }
    if (kept !== undefined) msg.value = kept.value
    return msg
  } catch (err) {
    // Something hostile (a Proxy, throwing getters everywhere): still an answer, never a throw.
    return { tag: POOL_TAG, v: POOL_VERSION, kind: 'thrown', text: `an unreadable thrown value (${describeError(err)})`, uncloneable: ['cause (unreadable)'] }
  }
}

function errorToWire(err: Error, depth: number, seen: Set<object>): WireError {
  seen.add(err)
  const uncloneable: string[] = []
  const w: WireError = {
    name: readString(err, 'name', 'Error', uncloneable),
    message: readString(err, 'message', '', uncloneable),
    fields: {},
    uncloneable,
  }
  const stack = readString(err, 'stack', undefined, uncloneable)
  if (stack !== undefined) w.stack = stack
  let keys: string[]
  try {
    keys = Object.keys(err)
  } catch (e) {
    keys = []
    uncloneable.push(`fields (${describeError(e)})`)
  }
  let count = 0
  for (const key of keys) {
    if (RESERVED.has(key)) continue
    if (count === MAX_ERROR_FIELDS) {
      uncloneable.push(`${keys.length - MAX_ERROR_FIELDS} more fields (more than ${MAX_ERROR_FIELDS})`)
      break
    }
    count++
    let raw: unknown
    try {
      raw = (err as unknown as Record<string, unknown>)[key]
    } catch (e) {
      uncloneable.push(`${key} (reading it threw ${describeError(e)})`)
      continue
    }
    const kept = cloneValue(raw, key, uncloneable)
    if (kept !== undefined) define(w.fields, key, kept.value, true) // an own '__proto__' stays a field
  }
  let hasCause = false
  let cause: unknown
  try {
    hasCause = Object.prototype.hasOwnProperty.call(err, 'cause')
    if (hasCause) cause = err.cause
  } catch (e) {
    uncloneable.push(`cause (reading it threw ${describeError(e)})`)
    hasCause = false
  }
  if (hasCause) {
    if (cause instanceof Error) {
      if (seen.has(cause)) uncloneable.push('cause (circular: an error already in this chain)')
      else if (depth + 1 > MAX_CAUSE_DEPTH) uncloneable.push(`cause (more than ${MAX_CAUSE_DEPTH} causes deep)`)
      else w.cause = { error: errorToWire(cause, depth + 1, seen) }
    } else {
      const kept = cloneValue(cause, 'cause', uncloneable)
      if (kept !== undefined) w.cause = { value: kept.value }
    }
  }
  return w
}

function readString(err: Error, key: 'name' | 'message' | 'stack', fallback: string, uncloneable: string[]): string
function readString(err: Error, key: 'name' | 'message' | 'stack', fallback: undefined, uncloneable: string[]): string | undefined
function readString(err: Error, key: 'name' | 'message' | 'stack', fallback: string | undefined, uncloneable: string[]): string | undefined {
  try {
    const v: unknown = err[key]
    if (v === undefined || v === null) return fallback
    return typeof v === 'string' ? v : String(v)
  } catch (e) {
    uncloneable.push(`${key} (reading it threw ${describeError(e)})`)
    return fallback
  }
}

/** The structured clone of `v`, or, when that fails, of a plain object's cloneable own fields
 *  (the rest named in `uncloneable`); undefined when nothing of it can cross. */
function cloneValue(v: unknown, path: string, uncloneable: string[]): { value: unknown } | undefined {
  try {
    return { value: structuredClone(v) }
  } catch (err) {
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {}
      let keys: string[]
      try {
        keys = Object.keys(v)
      } catch (e) {
        uncloneable.push(`${path} (${describeError(e)})`)
        return undefined
      }
      for (const key of keys.slice(0, MAX_ERROR_FIELDS)) {
        try {
          define(out, key, structuredClone(v[key]), true)
        } catch (e) {
          uncloneable.push(whatFailed(readSafely(v, key), `${path}.${key}`, e))
        }
      }
      if (keys.length > MAX_ERROR_FIELDS) uncloneable.push(`${path}: ${keys.length - MAX_ERROR_FIELDS} more fields (more than ${MAX_ERROR_FIELDS})`)
      return { value: out }
    }
    uncloneable.push(whatFailed(v, path, err))
    return undefined
  }
}

function whatFailed(v: unknown, path: string, err: unknown): string {
  let bad: ReturnType<typeof findUncloneable>
  try {
    bad = findUncloneable(v, path)
  } catch {
    bad = undefined
  }
  return bad !== undefined ? `${bad.path} (${bad.kind})` : `${path} (${describeError(err)})`
}

function readSafely(o: Record<string, unknown>, key: string): unknown {
  try {
    return o[key]
  } catch {
    return undefined
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto: unknown = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** Like core's toError: a string is its own message, an object's string `message` is the
 *  message, anything else `Non-error thrown: <value>`. */
function describeThrown(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'object' && v !== null) {
    const m = readSafely(v as Record<string, unknown>, 'message')
    if (typeof m === 'string') return m
    let json: string | undefined
    try {
      json = JSON.stringify(v)
    } catch {
      json = undefined
    }
    const text = json ?? Object.prototype.toString.call(v)
    return `Non-error thrown: ${text.length > 200 ? `${text.slice(0, 200)}...` : text}`
  }
  if (typeof v === 'function') return `Non-error thrown: function ${v.name || '(anonymous)'}`
  if (typeof v === 'symbol') return `Non-error thrown: ${v.toString()}`
  return `Non-error thrown: ${String(v)}`
}
