// Publishing a flush of outbound events: consecutive events of one type go in one message on
// their subject (up to MAX_RUN, and under the server's max_payload), so NATS' per-message cost is
// paid once per run, not per event; order per origin is the queue's. A persistent event goes
// alone through JetStream, so the server acknowledges it by its id. A run that cannot be encoded
// is retried event by event, so only the bad events are lost (counted, reported).
import type { NatsConnection } from '@nats-io/nats-core'
import type { TidingsEvent } from '@tidings/core'
import { describeError, incarnationOfEvent, PrevTable, toError, type BridgeHost, type Outgoing, type SessionTable } from '@tidings/core/bridge'
import { NatsConnectionError } from './errors.js'
import { encodeFrame } from './frame.js'
import type { JetStreamLink } from './jetstream.js'
import { subjectFor } from './subjects.js'

/** Most events in one message. */
const MAX_RUN = 512
const DEFAULT_MAX_PAYLOAD = 1 << 20

export interface SenderContext {
  readonly host: BridgeHost
  readonly prefix: string
  readonly bridge: string
  readonly sessions: SessionTable
  jetstream(): JetStreamLink | undefined
  connection(): NatsConnection | undefined
  sent(n: number): void
  unsendable(e: TidingsEvent, error: Error): void
}

/** Returns the function that publishes a flush of `events` (already filtered to what goes out),
 *  in order. A closure, not a class: its state is locals, which minify. */
/** Sends a flush of events, in order. */
export type Sender = (events: readonly TidingsEvent[]) => void

export function createSender(ctx: SenderContext): Sender {
  const prev = new PrevTable()
  const { host, prefix } = ctx

  const done = (run: Outgoing[]): void => {
    ctx.sent(run.length)
    for (const it of run) host.noteBridgedOut(it.event, ctx.bridge)
  }

  const flush = (run: Outgoing[]): void => {
    if (run.length === 0) return
    const nc = ctx.connection()
    const type = run[0]!.event.type
    let bytes: Uint8Array
    try {
      bytes = encodeFrame(run)
    } catch (err) {
      if (run.length === 1) return ctx.unsendable(run[0]!.event, toError(err))
      for (const it of run) flush([it])
      return
    }
    const max = nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD
    if (bytes.length > max && run.length > 1) {
      const half = run.length >> 1
      flush(run.slice(0, half))
      flush(run.slice(half))
      return
    }
    try {
      if (!nc) throw new Error('not connected')
      nc.publish(subjectFor(prefix, type), bytes)
    } catch (err) {
      for (const it of run) ctx.unsendable(it.event, new NatsConnectionError(`publish of ${type} (${it.event.id})`, describeError(err)))
      return
    }
    done(run)
  }

  return (events) => {
    let run: Outgoing[] = []
    for (const e of events) {
      const inc = incarnationOfEvent(host, e)
      // Another origin's event (another tab's, a worker's) that this leader forwards: remember
      // it, so the same event coming back over NATS is a duplicate here.
      if (e.origin !== host.origin) ctx.sessions.observe(e.origin, inc, e.seq)
      const item: Outgoing = { event: e, incarnation: inc, prev: prev.next(e.origin, inc, e.seq) }
      const js = e.persistent === true ? ctx.jetstream() : undefined
      if (js) {
        flush(run)
        run = []
        try {
          js.send(item)
        } catch (err) {
          ctx.unsendable(e, toError(err))
          continue
        }
        done([item])
        continue
      }
      if (run.length > 0 && (run[0]!.event.type !== e.type || run.length >= MAX_RUN)) {
        flush(run)
        run = []
      }
      run.push(item)
    }
    flush(run)
  }
}
