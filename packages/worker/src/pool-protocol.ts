// Between a pool (page) and registerHandlers (worker). The page hands each worker a private
// MessagePort and speaks Comlink over it, so the worker's own `self` channel stays free for an
// event bridge or app messages, and the page can watch the port for the worker going away.
//
// Every message of this protocol follows the one Tidings wire convention `{ tag, v, kind }`
// ('@tidings/core/bridge'): `tag` 'tidings.pool', `v` 1. Receivers classify with readTagged():
// other tags (Comlink's own traffic, an event bridge, app messages) are foreign and left alone;
// this tag at another version or with a bad shape is malformed, counted and ignored, never thrown.
//
// Errors thrown by worker handlers cross as a 'error' / 'thrown' message (thrown through Comlink
// as a plain value), built only from values structured clone has already copied, so posting
// them can never fail with DataCloneError.
//
// This file is what the page needs (the pool imports it); the worker's side (readConnect, the
// status messages, thrownToWire) is in pool-worker-protocol.ts, so a page never bundles it.
import type { TidingsEvent } from '@tidings/core'
import { isRecord, readTagged } from '@tidings/core/bridge'

export const POOL_TAG = 'tidings.pool'
export const POOL_VERSION = 1
/** The unversioned protocol's tag (@tidings/worker before the pool protocol had a version):
 *  recognised only to say what is wrong when a page and a worker from different builds meet. */
export const LEGACY_POOL_TAG = 'tidings/pool'

/** How many causes deep an error chain crosses; deeper causes are left out (and named so). */
export const MAX_CAUSE_DEPTH = 8
/** Most own fields of one error that cross; the rest are left out (and named so). */
export const MAX_ERROR_FIELDS = 64

interface Tagged<K extends string> {
  tag: typeof POOL_TAG
  v: typeof POOL_VERSION
  kind: K
}

/** Page -> worker over `self`: here is your port. A worker accepts only the first one. */
export interface PoolConnectMessage extends Tagged<'connect'> {
  port: MessagePort
  /** A Web Lock the worker holds for its whole life: the page waits on it to learn the moment
   *  the worker's context is gone, however it died. */
  lock?: string
}

/** Worker -> page over the port (outside Comlink): handlers are registered ('ready'), or the
 *  worker is about to close itself ('closing'). */
export interface PoolStatusMessage extends Tagged<'ready' | 'closing'> {}

/** Worker -> page over the port: the worker ignored a message on `self`, either a connect after
 *  the first ('connect') or a pool message it could not read ('malformed'). */
export interface PoolIgnoredMessage extends Tagged<'ignored'> {
  what: 'connect' | 'malformed'
}

/** A thrown Error as it crosses: name, message, stack, the cause chain and the own enumerable
 *  fields structured clone could copy. */
export interface WireError {
  name: string
  message: string
  stack?: string
  fields: Record<string, unknown>
  cause?: WireCause
  /** What was left out, each as `path (why)`: `socket (function)`, `cause (circular)`. */
  uncloneable: string[]
}

/** An Error's `cause`: another Error, or any value (kept as its structured clone). */
export type WireCause = { error: WireError } | { value: unknown }

/** Worker -> page, thrown through Comlink: a handler threw an Error. */
export interface PoolErrorMessage extends Tagged<'error'> {
  error: WireError
}

/** Worker -> page, thrown through Comlink: a handler threw a non-Error value. `value` is absent
 *  when nothing of it could be cloned (a function, a symbol, a platform object). */
export interface PoolThrownMessage extends Tagged<'thrown'> {
  /** Describes the value; becomes the page-side error's message. */
  text: string
  value?: unknown
  uncloneable: string[]
}

export interface CallMeta {
  attempt: number
  subscriptionId?: string
}

/** What registerHandlers exposes with Comlink. */
export interface PoolApi {
  run(callId: number, name: string, event: TidingsEvent, meta: CallMeta): Promise<unknown>
  abort(callId: number, reason: string): void
  names(): string[]
}

export function connectMessage(port: MessagePort, lock: string | undefined): PoolConnectMessage {
  const msg: PoolConnectMessage = { tag: POOL_TAG, v: POOL_VERSION, kind: 'connect', port }
  if (lock !== undefined) msg.lock = lock
  return msg
}

/** What a receiver makes of one message: not ours, ours but unreadable, or one of ours. */
export type PoolRead<M> = { status: 'foreign' } | { status: 'malformed'; reason: string } | { status: 'ok'; msg: M }

/** Page side, a message on a worker's port (Comlink's traffic is foreign). The page only counts
 *  what it cannot read, so this reader gives no reasons (it is in every page's bundle). */
export function readPortMessage(data: unknown): 'ready' | 'closing' | 'ignored-connect' | 'ignored-malformed' | 'malformed' | undefined {
  const t = readTagged(data, POOL_TAG, POOL_VERSION)
  if (t.status !== 'ok') return t.status === 'foreign' ? undefined : 'malformed'
  const k = t.kind
  if (k === 'ready' || k === 'closing') return k
  try {
    const what = t.msg['what']
    if (k === 'ignored' && (what === 'connect' || what === 'malformed')) return `ignored-${what}`
  } catch {
    /* malformed */
  }
  return 'malformed'
}

// ------------------------------------------------------------------ errors: page side

/** Own fields carried separately (or added on the page), never copied as plain fields. */
export const RESERVED = new Set(['name', 'message', 'stack', 'cause', 'uncloneableFields'])


/** What a pool call's rejection becomes on the page: the rebuilt Error, a thrown non-Error,
 *  'foreign' (not ours: Comlink's own errors, a DataCloneError raised on the page) or 'malformed'. */
export type ReadThrown = 'foreign' | 'malformed' | Error | { text: string; value: { value: unknown } | undefined; uncloneable: string[] }

/** Reads a rejection that came through Comlink. Never throws. */
export function readThrown(data: unknown): ReadThrown {
  const t = readTagged(data, POOL_TAG, POOL_VERSION)
  if (t.status !== 'ok') return t.status
  try {
    const m = t.msg
    if (t.kind === 'error') return wireToError(m['error'], 0) ?? 'malformed'
    const { text, uncloneable } = m
    if (t.kind === 'thrown' && typeof text === 'string' && isStringArray(uncloneable))
      return { text, value: hasOwn(m, 'value') ? { value: m['value'] } : undefined, uncloneable }
  } catch {
    /* malformed */
  }
  return 'malformed'
}

/** Rebuilds a WireError as an Error of the same name, message and stack, with its fields as own
 *  enumerable properties and `cause` (non-enumerable, like the native option). */
function wireToError(w: unknown, depth: number): Error | undefined {
  if (!isRecord(w) || depth > MAX_CAUSE_DEPTH) return undefined
  const { name, message, stack, fields, cause, uncloneable } = w
  if (typeof name !== 'string' || typeof message !== 'string' || !isRecord(fields) || !isStringArray(uncloneable)) return undefined
  const e = new Error(message)
  define(e, 'name', name, false)
  if (typeof stack === 'string') define(e, 'stack', stack, false)
  else delete (e as { stack?: string }).stack // not the page's stack for a worker's error
  for (const key of Object.keys(fields)) if (!RESERVED.has(key)) define(e, key, fields[key], true)
  if (isRecord(cause)) {
    const c = hasOwn(cause, 'error') ? wireToError(cause['error'], depth + 1) : cause['value']
    if (c !== undefined || hasOwn(cause, 'value')) define(e, 'cause', c, false)
  }
  if (uncloneable.length > 0) define(e, 'uncloneableFields', uncloneable, true)
  return e
}

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key)
}

/** defineProperty, not assignment: a field named `__proto__` stays a field, setters never run. */
export function define(o: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(o, key, { value, writable: true, configurable: true, enumerable })
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string')
}
