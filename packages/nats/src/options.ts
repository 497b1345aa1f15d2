// Checks connectNats options up front: a bad one throws NatsOptionError naming it.
import { compilePatterns } from '@tidings/core'
import { checkNumber } from '@tidings/core/bridge'
import { NatsOptionError } from './errors.js'
import type { NatsOptions, NatsReplay } from './types.js'

export interface Resolved {
  servers: string[]
  /** The token, user and pass given (strings). */
  auth: { token?: string; user?: string; pass?: string }
  share: string[]
  prefix: string
  requests: string[]
  serve: string[]
  requestPrefix: string
  maxBuffered: number
  overflow: 'drop-oldest' | 'drop-newest'
  ackTimeoutMs: number
  requestTimeoutMs: number
  replay: NatsReplay
}

const fail = (option: string, value: unknown, rule: string) => new NatsOptionError(option, value, rule)
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/
const REPLAYS: readonly unknown[] = ['new', 'all', 'last-per-subject']

function patterns(name: string, v: unknown): string[] {
  if (v === undefined) return []
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) throw fail(name, v, 'use a pattern or an array of patterns')
  compilePatterns(list as string[]) // InvalidTopicError names a bad pattern
  return [...(list as string[])]
}

function prefixOption(name: string, v: unknown, fallback: string): string {
  const p = v ?? fallback
  if (typeof p !== 'string' || p.length > 200 || !SUBJECT.test(p))
    throw fail(name, v, 'use dot-separated tokens of letters, digits, "_" or "-" (no wildcards), e.g. "tidings" or "app1.tidings"')
  return p
}

export function resolveOptions(o: NatsOptions): Resolved {
  if (typeof o !== 'object' || o === null) throw fail('options', o, 'pass { servers, share, ... }')
  const raw = typeof o.servers === 'string' ? [o.servers] : o.servers
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((s) => typeof s === 'string' && /^wss?:\/\/[^/]+:\d+/.test(s)))
    throw fail('servers', o.servers, 'use ws:// or wss:// URLs with a port, e.g. "ws://127.0.0.1:9222"')
  const prefix = prefixOption('subject', o.subject, 'tidings')
  const requestPrefix = prefixOption('requestSubject', o.requestSubject, prefix + '-rpc')
  if (requestPrefix === prefix || requestPrefix.startsWith(prefix + '.'))
    throw fail('requestSubject', o.requestSubject, `must lie outside "${prefix}.>" (a stream on the events would capture requests)`)
  const overflow = o.overflow ?? 'drop-oldest'
  if (overflow !== 'drop-oldest' && overflow !== 'drop-newest') throw fail('overflow', overflow, "use 'drop-oldest' or 'drop-newest'")
  const auth: Resolved['auth'] = {}
  for (const k of ['token', 'user', 'pass'] as const) {
    const v = o[k]
    if (v === undefined) continue
    if (typeof v !== 'string') throw fail(k, v, 'use a string')
    auth[k] = v
  }
  const positive = (name: string, v: number | undefined, d: number) =>
    v === undefined ? d : checkNumber(v, name, (n) => Number.isFinite(n) && n > 0, 'use a positive number', fail)
  // -1 or a count: anything else would make the bridge retry forever (a NaN limit is never reached).
  const attempts = o.connection?.maxReconnectAttempts
  if (attempts !== undefined) checkNumber(attempts, 'connection.maxReconnectAttempts', (n) => Number.isInteger(n) && n >= -1, 'use -1 (never give up) or a whole number ≥ 0', fail)
  let replay: NatsReplay = 'new'
  if (o.jetstream !== undefined) {
    const js = o.jetstream
    if (typeof js !== 'object' || js === null || typeof js.stream !== 'string' || !/^[A-Za-z0-9_-]{1,200}$/.test(js.stream))
      throw fail('jetstream', js, 'use { stream: "NAME", replay? } with a stream name of letters, digits, "_" or "-"')
    replay = js.replay ?? 'new'
    const since: unknown = typeof replay === 'object' && replay !== null ? replay.since : undefined
    if (!REPLAYS.includes(replay) && !Number.isFinite(since instanceof Date ? since.getTime() : since)) throw fail('jetstream.replay', replay, "use 'new', 'last-per-subject', 'all' or { since: epochMs | Date }")
  }
  return {
    servers: [...raw],
    auth,
    share: patterns('share', o.share),
    prefix,
    requests: patterns('requests', o.requests),
    serve: patterns('serve', o.serve),
    requestPrefix,
    maxBuffered: Math.floor(positive('maxBuffered', o.maxBuffered, 10_000)),
    overflow,
    ackTimeoutMs: positive('ackTimeoutMs', o.ackTimeoutMs, 10_000),
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs, 5000),
    replay,
  }
}
