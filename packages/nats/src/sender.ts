// Publishing a flush of outbound events: consecutive events of one type go in one message on
// their subject (up to MAX_RUN, and under the server's max_payload), so NATS' per-message cost is
// paid once per run, not per event; order per origin is the queue's. A persistent event goes
// alone through JetStream, so the server acknowledges it by its id. A run that cannot be encoded
// is retried event by event, so only the bad events are lost (counted, reported).
import type { NatsConnection } from '@nats-io/nats-core'
import type { TidingsEvent } from '@tidings/core'
import { describeError, incarnationOfEvent, PrevTable, type BridgeHost, type Outgoing, type SessionTable } from '@tidings/core/bridge'
import { NatsConnectionError } from './errors.js'
import { encodeFrame } from './frame.js'
import type { JetStreamLink } from './jetstream.js'
import { subjectFor } from './subjects.js'

/** Most events in one message. */
const MAX_RUN = 512
const DEFAULT_MAX_PAYLOAD = 1024 * 1024

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

export class Sender {
  private readonly prev = new PrevTable()
  private readonly ctx: SenderContext

  constructor(ctx: SenderContext) {
    this.ctx = ctx
  }

  /** Publishes `events` (already filtered to what goes out), in order. */
  send(events: readonly TidingsEvent[]): void {
    const { host } = this.ctx
    let run: Outgoing[] = []
    for (const e of events) {
      const inc = incarnationOfEvent(host, e)
      // Another origin's event (another tab's, a worker's) that this leader forwards: remember
      // it, so the same event coming back over NATS is a duplicate here.
      if (e.origin !== host.origin) this.ctx.sessions.observe(e.origin, inc, e.seq)
      const item: Outgoing = { event: e, incarnation: inc, prev: this.prev.next(e.origin, inc, e.seq) }
      if (e.persistent === true && this.ctx.jetstream()) {
        this.flush(run)
        run = []
        this.persistent(item)
        continue
      }
      if (run.length > 0 && (run[0]!.event.type !== e.type || run.length >= MAX_RUN)) {
        this.flush(run)
        run = []
      }
      run.push(item)
    }
    this.flush(run)
  }

  private flush(run: Outgoing[]): void {
    if (run.length === 0) return
    const nc = this.ctx.connection()
    const type = run[0]!.event.type
    let bytes: Uint8Array
    try {
      bytes = encodeFrame(run)
    } catch (err) {
      if (run.length === 1) return this.ctx.unsendable(run[0]!.event, toError(err))
      for (const it of run) this.flush([it])
      return
    }
    const max = nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD
    if (bytes.length > max && run.length > 1) {
      const half = run.length >> 1
      this.flush(run.slice(0, half))
      this.flush(run.slice(half))
      return
    }
    try {
      if (!nc) throw new Error('not connected')
      nc.publish(subjectFor(this.ctx.prefix, type), bytes)
    } catch (err) {
      for (const it of run) this.ctx.unsendable(it.event, new NatsConnectionError(`publish of ${type} (${it.event.id})`, describeError(err)))
      return
    }
    this.done(run)
  }

  private persistent(item: Outgoing): void {
    const e = item.event
    try {
      this.ctx.jetstream()!.publish(subjectFor(this.ctx.prefix, e.type), encodeFrame([item]), e)
    } catch (err) {
      return this.ctx.unsendable(e, toError(err))
    }
    this.done([item])
  }

  private done(run: Outgoing[]): void {
    this.ctx.sent(run.length)
    for (const it of run) this.ctx.host.noteBridgedOut(it.event, this.ctx.bridge)
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(describeError(err))
}
