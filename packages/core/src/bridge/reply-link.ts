// bus.request() across contexts, one bridge's side: carrying a request to the chosen peer and
// its answer back (asking), and answering a peer's request with this bus's own responders
// (serving). The wire is two messages each bridge wraps in its own tagged protocol: 'request'
// (the event as a one-event batch of the shared codec, addressed to one peer) and 'reply'
// (addressed back to the asker alone). Everything received is checked like any inbound event.
// A request served here is asked of this bus's reply() subscriptions only, never carried on to a
// third context. Every pending entry ends with its request: answered, failed, timed out,
// aborted, or its peer gone.
import type { TidingsEvent } from '../envelope.js'
import { NoResponderError, RemoteError, TimeoutError } from '../errors.js'
import { passThrough, ResponderGoneError } from '../request-reply.js'
import { checkEnvelope } from '../validate-envelope.js'
import { checkBatch, decodeEvent, encodeBatch, NO_PREV, type EventBatch } from './codec.js'
import { incarnationOfEvent, type BridgeHost } from './host.js'
import { remoteReplies, type RemoteReplies, type ReplyBus, type RequestCarrier } from './remote-replies.js'
import { describeError, isBoolean, isId, isNat } from './wire.js'

export type ReplyMessage =
  | { kind: 'request'; from: string; to: string; rid: string; timeoutMs: number; batch: EventBatch }
  | { kind: 'reply'; from: string; to: string; rid: string; ok: true; value: unknown }
  /** why: 'handler' (a responder threw: name and message are its error's), 'error' (the request
   *  failed there: NoResponderError, TimeoutError...), 'gone' (the serving bridge closed). */
  | { kind: 'reply'; from: string; to: string; rid: string; ok: false; why: 'handler' | 'error' | 'gone'; name: string; message: string }

export interface ReplyLinkOptions {
  /** This bridge's id on the wire (peers address replies to it). */
  id: string
  host: BridgeHost
  /** Whether this bridge carries requests of this type (its `share`). */
  accepts(type: string): boolean
  /** Posts a message to the peer(s); throws when it cannot be sent (e.g. DataCloneError). */
  send(msg: ReplyMessage): void
  /** This bus's reply patterns changed: announce them to the peers. */
  announce(patterns: readonly string[]): void
}

interface Pending {
  peer: string
  type: string
  timeoutMs: number
  resolve(value: unknown): void
  reject(err: Error): void
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1

const pass = <E extends Error>(e: E): E => (passThrough.add(e), e)

export class ReplyLink implements RequestCarrier {
  readonly id: string
  readonly registry: RemoteReplies
  readonly #pending = new Map<string, Pending>()
  readonly #served = new Map<string, { to: string; rid: string; type: string; ctl: AbortController }>()
  #next = 0
  #closed = false
  readonly #stop: () => void
  readonly #o: ReplyLinkOptions

  constructor(o: ReplyLinkOptions) {
    this.#o = o
    this.id = o.id
    this.registry = remoteReplies(o.host as unknown as ReplyBus)
    this.#stop = this.registry.watchOwn((p) => o.announce(p))
  }

  /** This bus's reply patterns now (for a hello). */
  get patterns(): readonly string[] {
    return this.registry.patterns
  }

  /** Requests waiting for an answer, and requests being answered here (tests check no leak). */
  get sizes(): { pending: number; serving: number } {
    return { pending: this.#pending.size, serving: this.#served.size }
  }

  accepts(type: string): boolean {
    return !this.#closed && this.#o.accepts(type)
  }

  /** Peer `peer` (bus origin `origin`) serves `patterns` (checked here: untrusted). */
  peerServes(peer: string, origin: string, patterns: unknown): void {
    const list = Array.isArray(patterns) ? patterns.filter((p): p is string => isId(p)).slice(0, 256) : []
    try {
      this.registry.announce(this, peer, origin, list)
    } catch {
      // a pattern the bus refuses: ignore that peer's announcement
      this.registry.announce(this, peer, origin, [])
    }
  }

  /** Peer `peer` went away (or, with `forget` false, stopped answering for now): its pending
   *  requests reject at once. */
  peerGone(peer: string, why: string, forget = true): void {
    if (forget) this.registry.announce(this, peer, '', [])
    for (const p of [...this.#pending.values()]) if (p.peer === peer) p.reject(pass(new ResponderGoneError(p.type, peer, why)))
  }

  forward(peer: string, event: TidingsEvent, timeoutMs: number, ended: AbortSignal): Promise<unknown> {
    const rid = String(++this.#next)
    if (ended.aborted) return Promise.resolve(undefined)
    return new Promise((resolve, reject) => {
      const done = () => {
        this.#pending.delete(rid)
        ended.removeEventListener('abort', onEnd)
      }
      // The request ended here (timeout, abort, shutdown): nobody waits for this any more, so
      // let go quietly (a rejection would be reported as a failed responder).
      const onEnd = () => {
        done()
        resolve(undefined)
      }
      ended.addEventListener('abort', onEnd, { once: true })
      this.#pending.set(rid, {
        peer,
        type: event.type,
        timeoutMs,
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      })
      try {
        const batch = encodeBatch([{ event, incarnation: incarnationOfEvent(this.#o.host, event), prev: NO_PREV }])
        this.#o.send({ kind: 'request', from: this.id, to: peer, rid, timeoutMs: Math.min(MAX_TIMEOUT_MS, Math.ceil(timeoutMs)), batch })
      } catch (err) {
        this.#pending.get(rid)?.reject(err instanceof Error ? err : new Error(describeError(err)))
      }
    })
  }

  /** Handles a received 'request' or 'reply' (the rest of the message unchecked); returns why it
   *  is malformed, or undefined. Never throws. */
  receive(kind: 'request' | 'reply', m: Record<string, unknown>): string | undefined {
    try {
      const { from, to, rid } = m
      if (!isId(from) || !isId(to) || !isId(rid, 40)) return `${kind} needs from, to and rid`
      if (to !== this.id || this.#closed) return undefined // another context's
      return kind === 'request' ? this.#request(from, rid, m) : this.#reply(from, rid, m)
    } catch (err) {
      return `${kind} could not be read: ${describeError(err)}`
    }
  }

  /** Closes this side: requests served here answer 'gone', requests waiting reject. */
  close(why: string): void {
    if (this.#closed) return
    for (const s of this.#served.values()) {
      this.#post({ kind: 'reply', from: this.id, to: s.to, rid: s.rid, ok: false, why: 'gone', name: 'ResponderGoneError', message: why })
      s.ctl.abort()
    }
    this.#served.clear()
    this.#closed = true
    for (const p of [...this.#pending.values()]) p.reject(pass(new ResponderGoneError(p.type, p.peer, why)))
    this.registry.forget(this)
    this.#stop()
  }

  #request(from: string, rid: string, m: Record<string, unknown>): string | undefined {
    const timeoutMs = m['timeoutMs']
    if (!isNat(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) return 'request timeoutMs must be an integer in 1..2^31-1'
    const batch = m['batch']
    const bad = checkBatch(batch)
    if (bad !== undefined) return bad
    if ((batch as EventBatch).n !== 1) return 'a request is one event'
    const decoded = decodeEvent(batch as EventBatch, 0)
    const check = decoded.ok ? checkEnvelope(decoded.candidate) : decoded
    if (!check.ok) return `request: ${check.reason}`
    const e = check.event
    const answer = (msg: Omit<Extract<ReplyMessage, { ok: false }>, 'kind' | 'from' | 'to' | 'rid' | 'ok'>) => this.#post({ kind: 'reply', from: this.id, to: from, rid, ok: false, ...msg })
    if (!this.#o.accepts(e.type) || !this.registry.servesLocally(e.type)) {
      answer({ why: 'error', name: 'NoResponderError', message: new NoResponderError(e.type).message })
      return undefined
    }
    const key = from + '\u0000' + rid
    const ctl = new AbortController()
    this.#served.set(key, { to: from, rid, type: e.type, ctl })
    const opts: Record<string, unknown> = { timeoutMs, signal: ctl.signal, causationId: e.id, correlationId: e.correlationId ?? e.id }
    if (e.metadata !== undefined) opts['metadata'] = e.metadata
    if (e.priority !== undefined) opts['priority'] = e.priority
    if (e.source !== undefined) opts['source'] = e.source
    let asked: Promise<unknown>
    this.registry.serving++
    try {
      asked = (this.#o.host as unknown as { request(t: string, d: unknown, o: object): Promise<unknown> }).request(e.type, e.data, opts)
    } catch (err) {
      asked = Promise.reject(err)
    } finally {
      this.registry.serving--
    }
    asked.then(
      (value) => {
        if (this.#served.delete(key)) this.#post({ kind: 'reply', from: this.id, to: from, rid, ok: true, value }, e.type)
      },
      (err: unknown) => {
        if (!this.#served.delete(key)) return
        if (err instanceof RemoteError) answer({ why: 'handler', name: err.remoteName, message: err.remoteMessage })
        else answer({ why: 'error', name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : describeError(err) })
      },
    )
    return undefined
  }

  #reply(from: string, rid: string, m: Record<string, unknown>): string | undefined {
    const p = this.#pending.get(rid)
    const ok = m['ok']
    if (!isBoolean(ok)) return 'reply needs ok'
    if (p === undefined || p.peer !== from) return undefined // late (the request ended), or not from the peer asked
    if (ok) {
      p.resolve(m['value'])
      return undefined
    }
    const { why, name, message } = m
    if (typeof name !== 'string' || typeof message !== 'string' || (why !== 'handler' && why !== 'error' && why !== 'gone')) return 'a failed reply needs why, name and message'
    const text = message.slice(0, 2000)
    if (why === 'gone') p.reject(pass(new ResponderGoneError(p.type, from, text)))
    else if (why === 'error' && name === 'NoResponderError') p.reject(new NoResponderError(p.type))
    else if (why === 'error' && name === 'TimeoutError') p.reject(pass(new TimeoutError(`request "${p.type}" in ${from}`, p.timeoutMs)))
    else {
      // A responder's own error: the requester's bus reports it as RemoteError(name, message).
      const err = new Error(text)
      err.name = name.slice(0, 200)
      p.reject(err)
    }
    return undefined
  }

  /** Sends a reply; a value that cannot cross becomes an error reply naming why. */
  #post(msg: ReplyMessage, type?: string): void {
    try {
      this.#o.send(msg)
    } catch (err) {
      if (msg.kind !== 'reply' || !msg.ok) return
      const message = `the reply to "${type ?? 'a request'}" cannot be sent to the requesting context: ${describeError(err)}`
      try {
        this.#o.send({ kind: 'reply', from: msg.from, to: msg.to, rid: msg.rid, ok: false, why: 'handler', name: 'UncloneableReplyError', message })
      } catch {
        // the channel is closed: the asker's own timeout or peer tracking ends the request
      }
    }
  }
}
