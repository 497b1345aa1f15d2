// bus.request() across devices over NATS request/reply.
//
// Asking: for the `requests` patterns the bridge registers a responder on the local bus that
// forwards the request to `<requestSubject>.<escaped type>` and answers with what the other
// device replied. NATS answers "no responders" when nobody subscribes there: the request then
// fails with NoResponderError, as it does on one bus. Serving: for the `serve` patterns the
// bridge subscribes there, checks the request like any inbound event and asks its own bus; a
// request it forwards on for itself is declined (its causationId marks it), so two devices never
// bounce a request back and forth. A device that serves a type but has no local responder for it
// answers NoResponderError: keep the `serve` patterns of devices apart (the first answer wins).
import { NoRespondersError, RequestError, TimeoutError as NatsTimeoutError, type Msg, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/nats-core'
import { checkEnvelope, compilePatterns, NoResponderError, RemoteError, TimeoutError, type Bus, type Subscription, type TidingsEvent } from '@tidings/core'
import { checkBatch, decode, decodeEvent, describeError, encode, incarnationOfEvent, NO_PREV, type BridgeHost, type EventBatch } from '@tidings/core/bridge'
import { NatsConnectionError } from './errors.js'
import { decodeFrame, encodeFrame, frameType, fromUtf8, utf8 } from './frame.js'
import type { Resolved } from './options.js'
import { coveringFilters, subjectFor, topicOf } from './subjects.js'

export interface RequestHooks {
  sent(): void
  served(): void
  malformed(subject: string, reason: string): void
}

export class RequestLink {
  #nc: NatsConnection | undefined
  #subs: NatsSubscription[] = []
  /** Ids of requests from other devices being asked of the local bus now. */
  readonly #serving = new Set<string>()
  /** Registered while connected (the leader tab, in leader mode): a follower tab's request then
   *  reaches it through the tabs bridge, which forwards requests to a tab that serves them. */
  #responder: Subscription | undefined
  readonly #serves: (type: string) => boolean
  readonly #bus: Bus
  readonly #host: BridgeHost
  readonly #o: Resolved
  readonly #hooks: RequestHooks

  constructor(bus: Bus, host: BridgeHost, o: Resolved, hooks: RequestHooks) {
    this.#bus = bus
    this.#host = host
    this.#o = o
    this.#hooks = hooks
    this.#serves = o.serve.length > 0 ? compilePatterns(o.serve) : () => false
  }

  attach(nc: NatsConnection): void {
    this.#nc = nc
    if (this.#o.requests.length > 0 && this.#responder === undefined)
      this.#responder = this.#bus.reply(this.#o.requests, (event: TidingsEvent) => this.#ask(event))
    if (this.#o.serve.length === 0) return
    for (const filter of coveringFilters(this.#o.requestPrefix, this.#o.serve))
      this.#subs.push(nc.subscribe(filter, { callback: (err, msg) => (err ? undefined : this.#serve(msg)) }))
  }

  detach(): void {
    this.#nc = undefined
    this.#subs = []
    this.#responder?.unsubscribe()
    this.#responder = undefined
  }

  close(): void {
    this.detach()
  }

  async #ask(event: TidingsEvent): Promise<unknown> {
    const nc = this.#nc
    // Not connected (or another tab leads), or a request this bridge is serving for another
    // device: decline, so a local responder answers or the request fails with NoResponderError.
    if (nc === undefined || (event.causationId !== undefined && this.#serving.has(event.causationId))) throw new NoResponderError(event.type)
    const bytes = encodeFrame([{ event, incarnation: incarnationOfEvent(this.#host, event), prev: NO_PREV }])
    this.#hooks.sent()
    let msg: Msg
    try {
      msg = await nc.request(subjectFor(this.#o.requestPrefix, event.type), bytes, { timeout: this.#o.requestTimeoutMs })
    } catch (err) {
      if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) throw new NoResponderError(event.type)
      if (err instanceof NatsTimeoutError || (err instanceof RequestError && err.cause instanceof NatsTimeoutError))
        throw new TimeoutError(`request "${event.type}" over NATS`, this.#o.requestTimeoutMs)
      throw new NatsConnectionError(`request "${event.type}" over NATS`, describeError(err))
    }
    const answer = decodeAnswer(msg.data)
    if (answer.ok) return answer.value
    if (answer.name === 'NoResponderError') throw new NoResponderError(event.type)
    const error = new Error(answer.message)
    error.name = answer.name
    throw error
  }

  #serve(msg: Msg): void {
    const subject = msg.subject
    let event: TidingsEvent
    try {
      const type = topicOf(this.#o.requestPrefix, subject)
      const batch = decodeFrame(msg.data)
      const bad = checkBatch(batch)
      if (bad !== undefined) return this.#hooks.malformed(subject, bad)
      if (type === undefined || frameType(batch) !== type) return this.#hooks.malformed(subject, "the request's topic is not its subject's")
      if ((batch as EventBatch).n !== 1) return this.#hooks.malformed(subject, 'a request is one event')
      const decoded = decodeEvent(batch as EventBatch, 0)
      if (!decoded.ok) return this.#hooks.malformed(subject, decoded.reason)
      const check = checkEnvelope(decoded.candidate)
      if (!check.ok) return this.#hooks.malformed(subject, check.reason)
      event = check.event
      if (!this.#serves(type) || !msg.reply) return
    } catch (err) {
      return this.#hooks.malformed(subject, describeError(err))
    }
    this.#hooks.served()
    this.#serving.add(event.id)
    const opts: { causationId: string; correlationId: string; timeoutMs: number } = {
      causationId: event.id,
      correlationId: event.correlationId ?? event.id,
      timeoutMs: this.#o.requestTimeoutMs,
    }
    this.#bus.request(event.type, event.data, opts).then(
      (value) => this.#respond(msg, { ok: true, value }),
      (err: unknown) => {
        if (err instanceof NoResponderError) this.#respond(msg, { ok: false, name: 'NoResponderError', message: err.message })
        else if (err instanceof RemoteError) this.#respond(msg, { ok: false, name: err.remoteName, message: err.remoteMessage })
        else this.#respond(msg, { ok: false, name: err instanceof Error ? err.name : 'Error', message: describeError(err) })
      },
    ).finally(() => this.#serving.delete(event.id))
  }

  #respond(msg: Msg, answer: Answer): void {
    try {
      let bytes: Uint8Array
      try {
        bytes = encodeAnswer(answer)
      } catch (err) {
        bytes = encodeAnswer({ ok: false, name: err instanceof Error ? err.name : 'Error', message: describeError(err) })
      }
      msg.respond(bytes)
    } catch {
      // connection gone: the asker times out
    }
  }
}

/** A request's answer: the value, or the responder's error (name and message). */
export type Answer = { ok: true; value: unknown } | { ok: false; name: string; message: string }

export function encodeAnswer(a: Answer): Uint8Array {
  return utf8.encode(encode(a, 'reply'))
}

export function decodeAnswer(data: Uint8Array): Answer {
  const v = decode(fromUtf8.decode(data), 'NATS reply') as Record<string, unknown> | null
  if (typeof v === 'object' && v !== null) {
    if (v['ok'] === true) return { ok: true, value: v['value'] }
    if (v['ok'] === false && typeof v['name'] === 'string' && typeof v['message'] === 'string')
      return { ok: false, name: v['name'].slice(0, 200), message: v['message'].slice(0, 2000) }
  }
  return { ok: false, name: 'NatsMalformedError', message: 'the reply was not a Tidings answer' }
}
