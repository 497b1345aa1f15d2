// The receiving half of the event pipe, shared by every bridge: rebuild each event of a batch,
// check it as an untrusted envelope, drop echoes and duplicates per session, report gaps, and
// ingest it into the bus. One bad event never fails its neighbours, and nothing it does reaches
// the app as an exception: every failure becomes an issue for the bridge to count and report.
//
// With `skipUnrouted`, an event whose type no subscription of the bus matches (and no inspector
// watches) is decided from the batch's columns alone: its payload and extras are never read or
// rebuilt. Its session fields are still checked and recorded, so a replay of it is a duplicate
// and a hole before it is a gap, exactly as if it had been delivered.
import type { TidingsEvent } from '../envelope.js'
import { isValidTopic } from '../topic.js'
import { checkEnvelope } from '../validate-envelope.js'
import { checkBatch, decodeEvent, NO_PREV, type EventBatch } from './codec.js'
import { noteIncarnation, type BridgeHost } from './host.js'
import type { SessionTable } from './sessions.js'
import { describeError } from './wire.js'

/** Why an inbound event was not delivered, or what it revealed. */
export type InboundIssue =
  /** The batch or the event failed validation. */
  | 'malformed'
  /** The event came back to the session that published it. */
  | 'echo'
  /** Its type is outside what this bridge accepts. */
  | 'unshared'
  /** Already delivered (same session and seq). */
  | 'duplicate'
  /** Events of its session before it were lost (it is delivered). */
  | 'gap'
  /** Its session already delivered a later seq (it is delivered, out of order). */
  | 'late'
  /** Its seq jumped implausibly far (it is delivered). */
  | 'implausible'
  /** The local bus refused it (a schema, a full 'reject' queue); other subscribers got it. */
  | 'rejected'
  /** Nothing here subscribes to its type: skipped unread (skipUnrouted; the reason is the type). */
  | 'unrouted'

export interface InboundPipe {
  readonly host: BridgeHost
  /** The name events are ingested under (bus.bridgedBy). */
  readonly bridge: string
  readonly sessions: SessionTable
  /** Types this bridge takes in; default all. */
  readonly accepts?: ((type: string) => boolean) | undefined
  /** Called for each issue, with what was thrown for 'rejected'. */
  issue(kind: InboundIssue, reason: string, error?: unknown): void
  /** Called with each event about to be ingested (before local handlers run). */
  forward?: ((event: TidingsEvent, incarnation: string) => void) | undefined
  /** Skip events no subscription of the bus would receive, before reading their payload. Only
   *  for bridges that do nothing else with an inbound event (no relaying to other bridges). */
  readonly skipUnrouted?: boolean | undefined
  /** Subscriptions of the bridge itself among a type's routes (its outbound observer), which
   *  never take what it ingests: they do not count as a route. Default none. */
  readonly ownRoutes?: ((type: string) => number) | undefined
}

/** Ingests a received batch; returns how many events were delivered. `from` names the sender
 *  in issue reasons. Stops early if the bus shuts down meanwhile. */
export function ingestBatch(pipe: InboundPipe, batch: unknown, from: string): number {
  const bad = checkBatch(batch)
  if (bad !== undefined) {
    pipe.issue('malformed', `${bad} (from ${from})`)
    return 0
  }
  const b = batch as EventBatch
  const host = pipe.host
  let delivered = 0
  const skip = pipe.skipUnrouted === true && typeof host.subscriberCount === 'function'
  // Per entry of the types table: -1 when it is not a valid topic, else the bridge's own routes
  // for it (both found once per batch); and the number of events delivered when it was last
  // found to have no route (valid until the next delivery: only a handler can subscribe).
  const topics: (number | undefined)[] | undefined = skip ? [] : undefined
  const routeless: number[] = []
  for (let i = 0; i < b.n; i++) {
    if (topics !== undefined && !host.inspecting && skipUnrouted(pipe, b, i, topics, routeless, delivered)) continue
    let decoded
    try {
      decoded = decodeEvent(b, i)
    } catch (err) {
      decoded = { ok: false as const, reason: `could not be read: ${describeError(err)}` }
    }
    const check = decoded.ok ? checkEnvelope(decoded.candidate) : decoded
    if (!check.ok || !decoded.ok) {
      pipe.issue('malformed', `event ${i} of a batch from ${from}: ${check.ok ? 'bad fields' : check.reason}`)
      continue
    }
    const e = check.event
    const inc = decoded.incarnation
    // Our own origin: our own event coming back, or someone claiming to be us. Two live
    // contexts never share an origin, so neither is delivered.
    if (e.origin === host.origin) {
      pipe.issue('echo', `${e.type} (${e.id}) claims this context's origin`)
      continue
    }
    if (pipe.accepts !== undefined && !pipe.accepts(e.type)) {
      pipe.issue('unshared', `${e.type} is not shared by this bridge`)
      continue
    }
    const verdict = pipe.sessions.check(e.origin, inc, e.seq, decoded.prev)
    if (verdict === 'duplicate') {
      pipe.issue('duplicate', `${e.type} (${e.id}) was already delivered`)
      continue
    }
    if (verdict === 'gap') pipe.issue('gap', `events of ${e.origin} before seq ${e.seq} were lost`)
    else if (verdict === 'late') pipe.issue('late', `${e.type} (${e.id}) arrived after a later event of ${e.origin}`)
    else if (verdict === 'implausible') pipe.issue('implausible', `${e.origin} jumped to seq ${e.seq}`)
    if (host.closed) return delivered
    noteIncarnation(e, inc)
    pipe.forward?.(e, inc)
    try {
      host.ingest(e, pipe.bridge)
    } catch (err) {
      // e.g. QueueFullError from a 'reject' queue: the other subscribers did get it.
      pipe.issue('rejected', `${e.type} (${e.id}): ${describeError(err)}`, err)
    }
    delivered++
  }
  return delivered
}

/** Handles event i without reading its payload when nothing here subscribes to its type: true
 *  when done with it. Anything unusual (a bad field, an echo, an unshared type) returns false, so
 *  the full path judges and reports it as it always does. */
function skipUnrouted(pipe: InboundPipe, b: EventBatch, i: number, topics: (number | undefined)[], routeless: number[], delivered: number): boolean {
  const ti = b.tx[i]
  if (typeof ti !== 'number') return false
  let own = topics[ti]
  if (own === undefined) {
    const t = b.tt[ti]
    own = topics[ti] = b.ev === 1 && isValidTopic(t) && (pipe.accepts === undefined || pipe.accepts(t)) ? (pipe.ownRoutes?.(t) ?? 0) : -1
  }
  if (own < 0) return false
  const type = b.tt[ti] as string
  const host = pipe.host
  // Read again after any delivery: a handler of an earlier event may subscribe to this type.
  if (routeless[ti] !== delivered) {
    if (host.subscriberCount!(type) > own) return false
    routeless[ti] = delivered
  }
  const at = b.sx[i]
  if (typeof at !== 'number') return false
  const origin = b.so[at]
  const incarnation = b.si[at]
  const seq = b.s[i]
  const prev = b.p[i]
  const ts = b.ts[i]
  const id = b.id?.[i]
  if (
    typeof origin !== 'string' || origin.length === 0 || origin.length > 200 || origin === host.origin ||
    typeof incarnation !== 'string' || incarnation.length > 64 ||
    typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 ||
    typeof prev !== 'number' || !Number.isSafeInteger(prev) || prev < NO_PREV ||
    typeof ts !== 'number' || !Number.isFinite(ts) ||
    (id !== undefined && id !== null && (typeof id !== 'string' || id.length === 0 || id.length > 200))
  )
    return false
  const verdict = pipe.sessions.check(origin, incarnation, seq, prev)
  if (verdict === 'duplicate') pipe.issue('duplicate', `${type} (seq ${seq} of ${origin}) was already delivered`)
  else {
    if (verdict === 'gap') pipe.issue('gap', `events of ${origin} before seq ${seq} were lost`)
    else if (verdict === 'late') pipe.issue('late', `${type} (seq ${seq} of ${origin}) arrived after a later event of ${origin}`)
    else if (verdict === 'implausible') pipe.issue('implausible', `${origin} jumped to seq ${seq}`)
    pipe.issue('unrouted', type)
  }
  return true
}
