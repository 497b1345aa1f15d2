// From bus.inspect() events to wire items: a pure mapping (no bus, no session, no clock), so it is
// tested on its own and the agent only decides WHICH events to map and WHEN (it maps them when a
// batch is posted, not inside publish()).
import type { EventSource, InspectionEvent, SubscriptionInfo, TidingsEvent } from '@tidings/core'
import { encode } from '@tidings/core/bridge'
import { MAX_EXACT_CHARS, type WireError, type WireItem, type WireSubscription } from './item-schema.js'
import { DEFAULT_LIMITS, type Redactor, type SanitizeLimits, type SanitizeReport, newReport, sanitize } from './sanitize.js'

/** How event data is shaped before it leaves the page. */
export interface Shaping {
  /** Field rules (connectDevtools({ redact: [...] })). */
  redactor?: Redactor | undefined
  /** connectDevtools({ redact: fn }): the data to show instead (sanitized too). */
  redactFn?: ((event: TidingsEvent) => unknown) | undefined
  limits?: SanitizeLimits
  /** When set, data and metadata are not read at all and this text is shown instead (the agent's
   *  time budget for a batch is spent). */
  unread?: string
}

export const REDACT_FN_THREW = '[redact function threw]'

/** Data whose estimated size is at most this (bytes) also travels exactly (PublishItem.exact). */
export const EXACT_MAX_BYTES = 16 * 1024

/**
 * The wire item for one inspection event. For a publish, `report` (when given) receives the
 * sanitizer's estimate of the ORIGINAL data + metadata (see SanitizeReport); `via` is
 * bus.bridgedBy(event).
 */
export function toWireItem(e: InspectionEvent, shaping: Shaping, via?: string, report?: SanitizeReport): WireItem {
  switch (e.kind) {
    case 'publish': {
      const r = report ?? newReport()
      const event = wireEvent(e.event, shaping, r)
      const item: WireItem = { kind: 'publish', at: e.at, event, ctx: via === undefined ? { origin: event.origin } : { origin: event.origin, via }, receipt: { ...e.receipt } }
      if (r.cut) item.cut = true
      // Read whole and small: also send the data itself, in the one type-preserving encoding,
      // so the panel shows a Map as a Map and a Date as a Date (the preview above cannot). Not
      // encodable (a function, a Blob): the preview stands alone.
      else if (r.sized && r.bytes <= EXACT_MAX_BYTES) {
        try {
          const text = encode(e.event.data, '')
          if (text.length <= MAX_EXACT_CHARS) item.exact = text
        } catch {
          // the preview stands alone
        }
      }
      return item
    }
    case 'deliver':
      return { kind: 'deliver', at: e.at, eventId: e.event.id, sub: e.subscriptionId, ms: e.durationMs, attempt: e.attempt }
    case 'bridge':
      return { kind: 'bridge', at: e.at, eventId: e.event.id, type: e.event.type, origin: e.event.origin, bridge: e.bridge, direction: e.direction }
    case 'drop':
    case 'reject':
      return { kind: e.kind, at: e.at, eventId: e.event.id, type: e.event.type, sub: e.subscriptionId, reason: e.reason }
    case 'error':
      return { kind: 'error', at: e.at, eventId: e.event.id, type: e.event.type, sub: e.subscriptionId, error: wireError(e.error), attempt: e.attempt, final: e.final }
    case 'subscribe':
      return { kind: 'subscribe', at: e.at, subscription: plainSubscription(e.subscription) }
    case 'unsubscribe':
      return { kind: 'unsubscribe', at: e.at, sub: e.subscriptionId }
  }
}

/** The envelope with its data and metadata redacted and bounded; never throws. */
export function wireEvent(event: TidingsEvent, shaping: Shaping, report: SanitizeReport): TidingsEvent {
  const limits = shaping.limits ?? DEFAULT_LIMITS
  const out: TidingsEvent = { ...event }
  if (event.source !== undefined) out.source = wireSource(event.source)
  if (shaping.unread !== undefined) {
    out.data = shaping.unread
    delete out.metadata
    report.sized = false
    report.cut = true
    return out
  }
  if (shaping.redactFn) {
    // The original is walked for its size only (the replay buffer holds it); what is shown is
    // whatever the function returns, so the panel's copy never counts as the original.
    sanitize(event.data, undefined, limits, report)
    out.data = sanitize(safeCall(shaping.redactFn, event), undefined, limits)
    report.cut = true
  } else out.data = sanitize(event.data, shaping.redactor, limits, report)
  if (event.metadata !== undefined) {
    const m = sanitize(event.metadata, shaping.redactor, limits, report, 'metadata')
    // An envelope's metadata must stay an object (the panel validates envelopes).
    out.metadata = typeof m === 'object' && m !== null && !Array.isArray(m) ? (m as Record<string, unknown>) : { '…': m }
  }
  return out
}

/** event.source is the app's own object (getters, Proxies): copied field by field, guarded. */
function wireSource(source: EventSource): EventSource {
  const out: EventSource = {}
  try {
    const { component, instanceId } = source
    if (typeof component === 'string') out.component = component.slice(0, 200)
    if (typeof instanceId === 'string') out.instanceId = instanceId.slice(0, 200)
  } catch {
    out.component = '[unreadable source]'
  }
  return out
}

function safeCall(fn: (e: TidingsEvent) => unknown, e: TidingsEvent): unknown {
  try {
    return fn(e)
  } catch {
    // A throwing redact function must not leak the data: show nothing.
    return REDACT_FN_THREW
  }
}

/** Never throws, whatever was thrown (a getter on `message`, a revoked Proxy...). */
export function wireError(err: unknown): WireError {
  try {
    if (err instanceof Error) {
      const out: WireError = { name: String(err.name).slice(0, 200), message: String(err.message).slice(0, 4000) }
      const stack: unknown = err.stack
      if (typeof stack === 'string' && stack) out.stack = stack.slice(0, 16000)
      return out
    }
    return { name: 'Error', message: String(err).slice(0, 4000) }
  } catch {
    return { name: 'Error', message: '[unreadable error]' }
  }
}

export function plainSubscription(s: SubscriptionInfo): WireSubscription {
  const out = { ...s, patterns: [...s.patterns] }
  // JSON (the extension's ports) drops undefined fields; do it here so validators see the same shape.
  for (const k of Object.keys(out) as (keyof typeof out)[]) if (out[k] === undefined) delete out[k]
  return out
}
