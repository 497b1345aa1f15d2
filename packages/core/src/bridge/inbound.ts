// The receiving half of the event pipe, shared by every bridge: rebuild each event of a batch,
// check it as an untrusted envelope, drop echoes and duplicates per session, report gaps, and
// ingest it into the bus. One bad event never fails its neighbours, and nothing it does reaches
// the app as an exception: every failure becomes an issue for the bridge to count and report.
import type { TidingsEvent } from '../envelope.js'
import { checkEnvelope } from '../validate-envelope.js'
import { checkBatch, decodeEvent, type EventBatch } from './codec.js'
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
  for (let i = 0; i < b.n; i++) {
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
