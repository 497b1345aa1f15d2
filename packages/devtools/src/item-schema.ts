// The ONE item schema: what the agent streams about each inspection event, what the panel's log
// is made of, and what export files hold. Types and validators live together so that every
// reader (the panel's batches, its imports, the e2e fixtures) checks items the same way.
import { QUEUE_STRATEGIES, SUBSCRIPTION_KINDS, SUBSCRIPTION_STATS_KEYS, checkEnvelope } from '@tidings/core'
import type { PublishReceipt, SubscriptionInfo, TidingsEvent } from '@tidings/core'
import { isBoolean, isFiniteNumber, isId, isNat, isOptionalString, isRecord } from '@tidings/core/bridge'

/** Bounds on what a receiver accepts (a hostile page could post huge messages); ids are
 *  bounded by core's MAX_ID_LENGTH. */
export const LIMITS = {
  maxBatchItems: 5000,
  // 32 MiB, as a literal: esbuild keeps an unused object whose values multiply (the page agent
  // never reads LIMITS, and its bundle has a size budget)
  maxBatchChars: 33_554_432,
  maxSubscriptions: 10_000,
  maxNameLength: 200,
  maxErrorLength: 4000,
} as const
// Literals, not LIMITS.x: a property read at module level is kept by bundlers even when unused,
// and the page agent's bundle has a size budget.
/** Longest subscription label or bridge name a receiver accepts. */
export const MAX_NAME_LENGTH = 200
export const MAX_ERROR_LENGTH = 4000

/** Where an event came from: the publishing context and, for bridged events, the bridge. */
export interface ContextLabel {
  origin: string
  /** bus.bridgedBy(event): 'tabs', 'worker', ... ; absent for events published in this page. */
  via?: string
}

export interface WireError {
  name: string
  message: string
  stack?: string
}

/** SubscriptionInfo as sent (already plain data). */
export type WireSubscription = SubscriptionInfo

/**
 * One inspection event as it crosses the wire: the ONE item schema of the stream, of the panel's
 * log and of export files. Envelope data is already redacted and bounded; `cut` says the data
 * shown is not the data published (redacted, capped, or a placeholder), so the panel's copy
 * cannot stand in for the original on replay.
 */
/** Longest PublishItem.exact text a receiver accepts (the agent sends nothing longer). */
export const MAX_EXACT_CHARS = 64 * 1024

export type WireItem =
  /** `exact`: for data read whole and small, the data itself in the one type-preserving encoding
   *  (decode from '@tidings/core/bridge'); `event.data` is then the preview of the same value.
   *  `stack`: with connectDevtools({ trace: true }), the V8 stack captured inside publish() (its
   *  first frames are the agent's and core's; the panel shows the caller's). */
  | { kind: 'publish'; at: number; event: TidingsEvent; ctx: ContextLabel; receipt: PublishReceipt; cut?: true; exact?: string; stack?: string }
  | { kind: 'deliver'; at: number; eventId: string; sub: string; ms: number; attempt: number }
  | { kind: 'drop'; at: number; eventId: string; type: string; sub: string; reason: string }
  | { kind: 'reject'; at: number; eventId: string; type: string; sub: string; reason: string }
  | { kind: 'error'; at: number; eventId: string; type: string; sub: string; error: WireError; attempt: number; final: boolean }
  | { kind: 'subscribe'; at: number; subscription: WireSubscription }
  | { kind: 'unsubscribe'; at: number; sub: string }
  /** The event crossed a bridge: 'in' (it arrived from another context) or 'out' (sent to one). */
  | { kind: 'bridge'; at: number; eventId: string; type: string; origin: string; bridge: string; direction: 'in' | 'out' }

export type WireItemKind = WireItem['kind']
export type PublishItem = Extract<WireItem, { kind: 'publish' }>
/** Items that belong to one event (they name it by eventId). */
export type FollowerItem = Extract<WireItem, { eventId: string }>

// ---------------------------------------------------------------- validators

export const isName = (v: unknown): v is string => isId(v, MAX_NAME_LENGTH)
const isTopic = (v: unknown): v is string => isId(v, 255)

export function isWireError(x: unknown): x is WireError {
  return isRecord(x) && typeof x['name'] === 'string' && typeof x['message'] === 'string' && x['message'].length <= MAX_ERROR_LENGTH && isOptionalString(x['stack'], MAX_ERROR_LENGTH * 4)
}

function isReceipt(x: unknown): x is PublishReceipt {
  return isRecord(x) && isId(x['id']) && isNat(x['matched']) && isNat(x['delivered']) && isNat(x['queued']) && isNat(x['dropped']) && isNat(x['rejected'])
}

// Core's own lists (not copies), as lookup sets. A subscription kind core no longer lists (the
// old 'bridge') is not valid: an export file that has one loses that subscribe item (counted).
const SUB_KINDS: ReadonlySet<unknown> = /* @__PURE__ */ new Set(SUBSCRIPTION_KINDS)
const STRATEGIES: ReadonlySet<unknown> = /* @__PURE__ */ new Set(QUEUE_STRATEGIES)

export function isWireSubscription(x: unknown): x is WireSubscription {
  if (!isRecord(x)) return false
  if (!isId(x['id']) || !Array.isArray(x['patterns']) || !x['patterns'].every(isTopic)) return false
  if (!SUB_KINDS.has(x['kind'])) return false
  if (!isOptionalString(x['label'], MAX_NAME_LENGTH) || !isFiniteNumber(x['priority'])) return false
  for (const k of SUBSCRIPTION_STATS_KEYS) if (!isNat(x[k])) return false
  if (x['queueMax'] !== undefined && !isNat(x['queueMax'])) return false
  if (x['strategy'] !== undefined && !STRATEGIES.has(x['strategy'])) return false
  if (x['concurrency'] !== undefined && !isNat(x['concurrency'])) return false
  return true
}

function isContextLabel(x: unknown): x is ContextLabel {
  return isRecord(x) && isId(x['origin']) && isOptionalString(x['via'], MAX_NAME_LENGTH)
}

/** The validator of the one item schema: batches, export files and the panel's store all use it. */
export function isWireItem(x: unknown): x is WireItem {
  if (!isRecord(x) || !isFiniteNumber(x['at'])) return false
  switch (x['kind']) {
    case 'publish':
      return (
        checkEnvelope(x['event']).ok &&
        isContextLabel(x['ctx']) &&
        isReceipt(x['receipt']) &&
        (x['cut'] === undefined || x['cut'] === true) &&
        (x['exact'] === undefined || (typeof x['exact'] === 'string' && x['exact'].length <= MAX_EXACT_CHARS)) &&
        isOptionalString(x['stack'], MAX_ERROR_LENGTH * 4)
      )
    case 'deliver':
      return isId(x['eventId']) && isId(x['sub']) && isFiniteNumber(x['ms']) && isNat(x['attempt'])
    case 'drop':
    case 'reject':
      return isId(x['eventId']) && isTopic(x['type']) && isId(x['sub']) && typeof x['reason'] === 'string'
    case 'error':
      return isId(x['eventId']) && isTopic(x['type']) && isId(x['sub']) && isWireError(x['error']) && isNat(x['attempt']) && isBoolean(x['final'])
    case 'subscribe':
      return isWireSubscription(x['subscription'])
    case 'unsubscribe':
      return isId(x['sub'])
    case 'bridge':
      return isId(x['eventId']) && isTopic(x['type']) && isId(x['origin']) && isName(x['bridge']) && (x['direction'] === 'in' || x['direction'] === 'out')
    default:
      return false
  }
}
