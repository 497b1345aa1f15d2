// JetStream: persistent events are published with their id as the message id (the server drops
// a retried duplicate) and publishAsync waits for the server's ack; inbound, one ordered consumer
// reads the stream from where this browser left off, or per the replay option for a newcomer.
// The leader tells the other tabs the last stream sequence it delivered (a BroadcastChannel), so
// the tab that takes over resumes from there: nothing acknowledged is skipped, and what the old
// leader had already delivered arrives again and is dropped as a duplicate.
//
// connectNats loads this module with import() only when the jetstream option is set (and this
// module loads @nats-io/jetstream the same way when it connects); the publishAsync ack hook,
// which must be there from the first moment, stays in connect-nats.ts and waits for it.
import type { NatsConnection } from '@nats-io/nats-core'
// Loaded on first use (import() below): apps without JetStream do not bundle it.
import type { ConsumerMessages, JetStreamClient, OrderedConsumerOptions } from '@nats-io/jetstream'
import type { TidingsEvent } from '@tidings/core'
import { describeError, type Outgoing } from '@tidings/core/bridge'
import { NatsConnectionError } from './errors.js'
import type { Resolved } from './options.js'
import { resumePoint, SEQ_TAG, type ResumePoint } from './resume-point.js'
import { encodeFrame } from './frame.js'
import { coveringFilters, subjectFor } from './subjects.js'

interface Deferred {
  promise: Promise<void>
  resolve(): void
  reject(err: Error): void
  done: boolean
}

export interface JetStreamHooks {
  acked(): void
  unacked(err: Error): void
}

export class JetStreamLink {
  replayed = 0
  #client: JetStreamClient | undefined
  #messages: ConsumerMessages | undefined
  readonly #acks = new WeakMap<TidingsEvent, Deferred>()
  #lastPosted = 0
  #postTimer: ReturnType<typeof setTimeout> | undefined
  #gen = 0
  #deliver: ((subject: string, data: Uint8Array) => void) | undefined
  #onError: ((err: Error) => void) | undefined
  readonly #o: Resolved
  readonly #stream: string
  readonly #point: ResumePoint
  readonly #hooks: JetStreamHooks

  constructor(o: Resolved, stream: string, leading: () => boolean, hooks: JetStreamHooks) {
    this.#o = o
    this.#stream = stream
    this.#point = resumePoint(stream, o.prefix, leading)
    this.#hooks = hooks
  }

  /** The last stream sequence delivered here, or by the leader tab. */
  get lastSeq(): number {
    return this.#point.seq
  }

  /** Settles when JetStream has stored the persistent event `e` (publishAsync waits on it). */
  ack(e: TidingsEvent): Promise<void> {
    return this.#deferred(e).promise
  }

  #deferred(e: TidingsEvent): Deferred {
    let d = this.#acks.get(e)
    if (d) return d
    let resolve!: () => void
    let reject!: (err: Error) => void
    const promise = new Promise<void>((res, rej) => {
      resolve = res
      reject = rej
    })
    promise.catch(() => {}) // a publish() (not publishAsync) of a persistent event has no waiter
    const timer = setTimeout(() => settle(new NatsConnectionError(`JetStream ack of ${e.type} (${e.id})`, `none within ${this.#o.ackTimeoutMs} ms (dropped from a full buffer, or the server is unreachable)`)), this.#o.ackTimeoutMs)
    const settle = (err?: Error) => {
      if (d!.done) return
      d!.done = true
      clearTimeout(timer)
      if (err) reject(err)
      else resolve()
    }
    d = { promise, resolve: () => settle(), reject: (err) => settle(err), done: false }
    this.#acks.set(e, d)
    return d
  }

  /** Publishes the persistent event of `item` alone (so the server acknowledges it by its id).
   *  Throws (UnencodableValueError, or not attached) when it cannot go at all. */
  send(item: Outgoing): void {
    const e = item.event
    const bytes = encodeFrame([item])
    const client = this.#client
    if (!client) throw new Error('JetStream is not attached')
    const subject = subjectFor(this.#o.prefix, e.type)
    const d = this.#deferred(e)
    const started = Date.now()
    const attempt = (n: number): void => {
      client.publish(subject, bytes, { msgID: e.id, timeout: Math.max(100, this.#o.ackTimeoutMs - (Date.now() - started)) }).then(
        () => {
          this.#hooks.acked()
          d.resolve()
        },
        (err: unknown) => {
          // Right after a server restart JetStream may not answer yet ("no responders"): try
          // again with the same message id (the server stores it once) while the ack wait lasts.
          if (!d.done && n < 5 && Date.now() - started + 200 * n < this.#o.ackTimeoutMs && this.#client === client) {
            setTimeout(() => attempt(n + 1), 200 * n)
            return
          }
          const error = new NatsConnectionError(`JetStream publish of ${e.type} (${e.id})`, describeError(err))
          this.#hooks.unacked(error)
          d.reject(error)
        },
      )
    }
    attempt(1)
  }

  /** `e` went to the leader tab over the tabs bridge: its publishAsync resolves as a
   *  follower's does (the leader's publish is the one JetStream acks). */
  handedOver(e: TidingsEvent): void {
    if (e.persistent === true) this.#deferred(e).resolve()
  }

  /** `e` could not be sent at all. */
  failed(e: TidingsEvent, err: Error): void {
    // publishAsync asks for the ack after delivery, so the deferred may not exist yet.
    if (e.persistent === true) this.#deferred(e).reject(err)
  }

  async attach(nc: NatsConnection, deliver: (subject: string, data: Uint8Array) => void, onError: (err: Error) => void): Promise<void> {
    const gen = ++this.#gen
    let client: JetStreamClient
    try {
      const { jetstream } = await import('@nats-io/jetstream')
      client = jetstream(nc)
    } catch (err) {
      onError(new NatsConnectionError('loading @nats-io/jetstream', describeError(err)))
      return
    }
    if (gen !== this.#gen) return
    this.#client = client
    this.#deliver = deliver
    this.#onError = onError
    if (this.#o.share.length > 0) await this.#consume(client, gen)
  }

  /** After a reconnect: a new consumer from the last sequence delivered. The server may have
   *  restarted and lost the old one (ordered consumers live in memory), and the client's own
   *  recovery waits for missed heartbeats. What arrives twice is dropped by id. */
  async resume(): Promise<void> {
    const client = this.#client
    if (!client || this.#o.share.length === 0) return
    const gen = ++this.#gen
    const m = this.#messages
    this.#messages = undefined
    m?.stop()
    await this.#consume(client, gen)
  }

  async #consume(client: JetStreamClient, gen: number): Promise<void> {
    const filters = coveringFilters(this.#o.prefix, this.#o.share)
    // nats-server 2.9 takes one filter per consumer: several become the whole prefix (the
    // bridge checks every type against the patterns anyway).
    const filter = filters.length === 1 ? filters[0]! : this.#o.prefix + '.>'
    const started = Date.now()
    for (let attempt = 1; ; attempt++) {
      const opts: Partial<OrderedConsumerOptions> = { filter_subjects: filter }
      const replay = this.#o.replay
      if (this.#point.seq > 0) {
        opts.deliver_policy = 'by_start_sequence'
        opts.opt_start_seq = this.#point.seq + 1
      } else if (replay === 'all') opts.deliver_policy = 'all'
      else if (replay === 'new') opts.deliver_policy = 'new'
      else if (replay === 'last-per-subject') opts.deliver_policy = 'last_per_subject'
      else {
        opts.deliver_policy = 'by_start_time'
        opts.opt_start_time = new Date(replay.since).toISOString()
      }
      try {
        const consumer = await client.consumers.get(this.#stream, opts)
        if (gen !== this.#gen) return
        const messages = await consumer.consume({
          callback: (m) => {
            if (gen !== this.#gen || m.seq <= this.#point.seq) return
            this.#point.seq = m.seq
            if (Number(m.info.timestampNanos) / 1e6 < started) this.replayed++
            this.#deliver?.(m.subject, m.data)
            this.#post()
          },
        })
        if (gen !== this.#gen) messages.stop()
        else this.#messages = messages
        return
      } catch (err) {
        // Right after a server restart JetStream may not be ready: try again for a few seconds.
        if (gen !== this.#gen) return
        if (attempt >= 8) {
          this.#onError?.(new NatsConnectionError(`JetStream consumer on stream "${this.#stream}"`, describeError(err)))
          return
        }
        await new Promise((r) => setTimeout(r, 150 * attempt))
        if (gen !== this.#gen) return
      }
    }
  }

  /** Tells the other tabs where this leader got to (at most every 100 ms). */
  #post(): void {
    if (!this.#point.channel || this.#postTimer !== undefined) return
    const wait = Math.max(0, this.#lastPosted + 100 - Date.now())
    this.#postTimer = setTimeout(() => {
      this.#postTimer = undefined
      this.#lastPosted = Date.now()
      this.#postNow()
    }, wait)
  }

  #postNow(): void {
    try {
      this.#point.channel?.postMessage({ tag: SEQ_TAG, seq: this.#point.seq })
    } catch {
      // closed
    }
  }

  async detach(): Promise<void> {
    this.#gen++
    if (this.#postTimer !== undefined) {
      clearTimeout(this.#postTimer)
      this.#postTimer = undefined
    }
    if (this.#point.seq > 0) this.#postNow()
    const m = this.#messages
    this.#messages = undefined
    this.#client = undefined
    m?.stop()
  }

  close(): void {
    this.#point.channel?.close()
  }
}
