// connectTabs' options, checked and resolved in one place: every bad value is a TabsOptionError
// (or core's InvalidTopicError for a bad `share` pattern) naming the option and the rule.
import { compilePatterns, type TidingsEvent } from '@tidings/core'
import { checkNumber, DEFAULT_MAX_BATCH_BYTES, findUnencodable } from '@tidings/core/bridge'
import { TabsOptionError } from './errors.js'
import { checkKeyOption } from './hmac.js'
import type { TabsOptions } from './tabs-types.js'

export interface ResolvedTabsOptions {
  channel: string
  heartbeatMs: number
  peerTimeoutMs: number
  maxBatch: number
  maxBatchBytes: number
  dedupeWindow: number
  redact: TabsOptions['redact']
  /** The `share` patterns, and a matcher for them. */
  share: readonly string[]
  shared: (type: string) => boolean
  key: TabsOptions['key']
}

export function resolveTabsOptions(options: TabsOptions): ResolvedTabsOptions {
  const channel = options.channel ?? 'tidings'
  if (typeof channel !== 'string' || channel.length === 0 || channel.length > 200)
    throw new TabsOptionError('channel', channel, 'use a non-empty string of at most 200 characters')
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs, 1000)
  const peerTimeoutMs = positive('peerTimeoutMs', options.peerTimeoutMs, heartbeatMs * 5)
  if (peerTimeoutMs <= heartbeatMs) throw new TabsOptionError('peerTimeoutMs', peerTimeoutMs, `must be longer than heartbeatMs (${heartbeatMs})`)
  if (options.redact !== undefined && typeof options.redact !== 'function') throw new TabsOptionError('redact', options.redact, 'pass a function (event) => event | null')
  const share = options.share ?? []
  const shared = compilePatterns(share) // validates every pattern (InvalidTopicError names the bad one)
  checkKeyOption(options.key)
  return {
    channel,
    heartbeatMs,
    peerTimeoutMs,
    maxBatch: positive('maxBatch', options.maxBatch, 5000),
    maxBatchBytes: positive('maxBatchBytes', options.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES),
    dedupeWindow: positive('dedupeWindow', options.dedupeWindow, 2048),
    redact: options.redact,
    share: typeof share === 'string' ? [share] : share,
    shared,
    key: options.key,
  }
}

/** With a key, events travel as encoded text: names what the encoding refuses, by path. */
export function unencodable(e: TidingsEvent): string | undefined {
  const bad = findUnencodable(e.data, 'data') ?? (e.metadata !== undefined ? findUnencodable(e.metadata, 'metadata') : undefined)
  return bad === undefined ? undefined : `${bad.path} is ${bad.kind === 'unreadable' ? 'unreadable' : `a ${bad.kind}`}, which the signed (text) channel cannot carry`
}

const tabsOptionError = (option: string, value: unknown, rule: string) => new TabsOptionError(option, value, rule)

function positive(name: string, v: number | undefined, fallback: number): number {
  return v === undefined ? fallback : checkNumber(v, name, (n) => Number.isFinite(n) && n > 0, 'use a positive number', tabsOptionError)
}
