// The event bridge: one bus across a page and a worker (or any MessagePort peer). Events whose
// type matches `share` are forwarded as-is (id, origin, seq, correlation kept) through the shared
// pipe of '@tidings/core/bridge' (Outbox out, ingestBatch in: batches per microtask, per-session
// dedupe, order and gaps). Liveness: the peer acks our batches; a peer that stops acking is
// reported unresponsive, and events wait (bounded by maxPending) instead of going into the void.
import { compilePatterns, createOriginId, emitSystemEvent, type Bus, type EventMapOf, type PublishReceipt, type TidingsEvent } from '@tidings/core'
import {
  bridgeHost,
  checkNumber,
  DEFAULT_MAX_BATCH_BYTES,
  incarnationOf,
  incarnationOfEvent,
  ingestBatch,
  isRequest,
  Outbox,
  ReplyLink,
  SessionTable,
  toError,
  type BridgeHost,
  type InboundPipe,
} from '@tidings/core/bridge'
import { BehaviorSubject, Subject, type Observable } from 'rxjs'
import { InvalidWorkerTargetError, type UncloneableDataError, workerOptionError } from './errors.js'
import { forwardToSiblings, hubOf, type Hub, type HubMember } from './hub.js'
import { inboundIssues } from './inbound-issues.js'
import { AckWindow } from './liveness.js'
import { isEndpoint, parseMessage, TAG, VERSION, type BridgeMessage, type MessageEndpoint } from './protocol.js'
import type { ConnectWorkerOptions, WorkerBridge, WorkerBridgeStats, WorkerBridgeStatus } from './bridge-types.js'
import { checkCloneable, uncloneableError } from './uncloneable.js'

export type { ConnectWorkerOptions, WorkerBridge, WorkerBridgeStats, WorkerBridgeStatus } from './bridge-types.js'

const bridgeCounts = new WeakMap<object, number>()

/** Connects `bus` to a Worker, a MessagePort (sharedWorker.port, a MessageChannel end) or, inside
 *  a worker, to `self`. Events matching `share` flow both ways. */
export function connectWorker<M extends EventMapOf<M>>(bus: Bus<M>, target: Worker | MessagePort | MessageEndpoint, opts: ConnectWorkerOptions = {}): WorkerBridge<M> {
  if (!isEndpoint(target)) throw new InvalidWorkerTargetError(target)
  return new Bridge(bus, target, opts)
}

class Bridge<M extends EventMapOf<M>> implements WorkerBridge<M>, HubMember {
  readonly name: string
  readonly ready: Promise<void>
  peerOrigin: string | undefined
  closed = false
  readonly accepts: (topic: string) => boolean

  readonly #counters: Omit<WorkerBridgeStats, 'unacknowledged'> = {
    sent: 0, received: 0, batches: 0, malformed: 0, unshared: 0, echoes: 0, uncloneable: 0, dropped: 0, ingestErrors: 0,
    duplicates: 0, gaps: 0, implausible: 0, forged: 0, unresponsive: 0,
  }
  readonly #errors = new Subject<Error>()
  readonly errors$: Observable<Error> = this.#errors.asObservable()
  readonly #status = new BehaviorSubject<WorkerBridgeStatus>('connecting')
  readonly status$: Observable<WorkerBridgeStatus> = this.#status.asObservable()
  readonly #maxPending: number
  readonly #outbox: Outbox
  /** Events waiting for the peer (before its hello, or while it is unresponsive). */
  #held: Array<{ event: TidingsEvent; incarnation: string }> = []
  readonly #sessions = new SessionTable()
  readonly #inbound: InboundPipe
  readonly #acks: AckWindow
  #batchesIn = 0
  #ackScheduled = false
  readonly #nonce = createOriginId('n').slice(2)
  #peerNonce: string | undefined
  #resolveReady!: () => void
  #outbound: { unsubscribe(): void } | undefined
  /** Set while bridge.publish runs, to hand an uncloneable failure back to the caller. */
  #publishing = 0
  #failures: Map<string, UncloneableDataError> | undefined
  readonly #hub: Hub
  readonly #host: BridgeHost
  readonly #incarnation: string
  readonly #endpoint: MessageEndpoint
  readonly #bus: Bus<M>
  /** bus.request() across this bridge (both ways). */
  readonly #replies: ReplyLink
  readonly #onMessage = (e: MessageEvent) => this.#receive(e.data)
  readonly #onPortClose = () => this.#shutdown(false)
  /** The Worker's error event (uncaught error, failed load): report it, and check the worker is
   *  still there (a ping it must ack within livenessTimeoutMs). */
  readonly #onWorkerError = (e: Event) => {
    this.#errors.next(new Error(`worker bridge "${this.name}": the worker reported an error${e instanceof ErrorEvent && e.message ? `: ${e.message}` : ' (its script failed to load, or it died)'}`))
    this.#ping()
  }
  /** The reply patterns the peer announced last: set aside while it is unresponsive. */
  #peerPatterns: unknown
  /** Pings the peer while requests wait on it (see ping). */
  #beat: ReturnType<typeof setTimeout> | undefined
  readonly #livenessMs: number

  constructor(bus: Bus<M>, endpoint: MessageEndpoint, opts: ConnectWorkerOptions) {
    this.#bus = bus
    this.#host = bridgeHost(bus, 'connectWorker()')
    this.#incarnation = incarnationOf(bus)
    this.#endpoint = endpoint
    const share = opts.share ?? []
    const patterns = typeof share === 'string' ? [share] : [...share]
    this.accepts = compilePatterns(patterns) // throws InvalidTopicError naming a bad pattern
    this.#maxPending = positive('maxPending', opts.maxPending ?? 10_000)
    const livenessMs = (this.#livenessMs = positive('livenessTimeoutMs', opts.livenessTimeoutMs ?? 5000))
    const n = (bridgeCounts.get(bus) ?? 0) + 1
    bridgeCounts.set(bus, n)
    this.name = opts.name ?? (n === 1 ? 'worker' : `worker#${n}`)
    this.ready = new Promise((resolve) => (this.#resolveReady = resolve))
    this.#outbox = new Outbox({
      maxBatch: positive('maxBatch', opts.maxBatch ?? 1024),
      maxBatchBytes: positive('maxBatchBytes', opts.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES),
      post: (batch, events) => {
        this.#endpoint.postMessage({ tag: TAG, v: VERSION, kind: 'events', batch } satisfies BridgeMessage, [])
        this.#counters.sent += events.length
        this.#counters.batches++
        this.#acks.posted(Date.now())
      },
      unsendable: (e, reason) => this.#reject(uncloneableError(e, reason)),
    })
    this.#acks = new AckWindow(livenessMs, (responsive) => this.#liveness(responsive))
    this.#inbound = {
      host: this.#host,
      bridge: this.name,
      sessions: this.#sessions,
      accepts: this.accepts,
      issue: inboundIssues(this.#counters, (err) => this.#errors.next(err)),
      forward: (e, inc) => {
        this.#counters.received++ // before ingest: handlers that read stats() count the event they handle
        forwardToSiblings(this.#hub, this, e, inc)
      },
    }
    this.#replies = new ReplyLink({
      id: this.#host.origin,
      host: this.#host,
      accepts: this.accepts,
      send: (m) => {
        this.#endpoint.postMessage({ tag: TAG, v: VERSION, ...m } satisfies BridgeMessage, [])
        if (m.kind === 'request') this.#watch()
      },
      announce: () => this.#announceReplies(),
    })
    endpoint.addEventListener('message', this.#onMessage)
    // MessagePort 'close' (newer browsers) says the other end went away: stop like on 'bye'.
    ;(endpoint as unknown as EventTarget).addEventListener('close', this.#onPortClose)
    if (typeof Worker !== 'undefined' && endpoint instanceof Worker) endpoint.addEventListener('error', this.#onWorkerError)
    endpoint.start?.()
    this.#hub = hubOf(bus)
    this.#hub.bridges.add(this)
    // An observable, not a handler subscription, so the bridge never shows up in dispatch
    // results or satisfies requireHandler.
    if (patterns.length)
      this.#outbound = this.#host.on(patterns).subscribe({
        next: (e) => this.#forward(e),
        complete: () => this.#shutdown(true), // bus shut down: tell the peer
      })
    this.#hello(false)
  }

  publish = ((...args: Parameters<Bus<M>['publish']>): PublishReceipt => {
    this.#publishing++
    let failure: UncloneableDataError | undefined
    let receipt: PublishReceipt
    try {
      receipt = (this.#bus.publish as (...a: unknown[]) => PublishReceipt)(...args)
      failure = this.#failures?.get(receipt.id)
    } finally {
      if (--this.#publishing === 0) this.#failures = undefined
    }
    if (failure) throw failure
    return receipt
  }) as Bus<M>['publish']

  stats(): WorkerBridgeStats {
    return { ...this.#counters, unacknowledged: this.#acks.unacknowledged }
  }

  close(): void {
    this.#shutdown(true)
  }

  flush(): void {
    if (!this.closed) this.#outbox.flush(true)
  }

  // ------------------------------------------------------------------ outbound

  #forward(e: TidingsEvent): void {
    if (this.closed || this.#hub.forwarded.has(e)) return // an inbound event another bridge already handed us
    if (this.#host.bridgedBy(e) === this.name) return // came in over this bridge: no echo
    if (isRequest(this.#host, e)) return // a request crosses as a request, to one context
    this.send(e, incarnationOfEvent(this.#host, e))
  }

  /** Queues one outbound event (called from the bus observer, or by a sibling bridge). */
  send(e: TidingsEvent, incarnation: string): void {
    if (this.closed || this.#host.isLocal(e)) return
    // Only bridge.publish() walks the event first (it promises to throw synchronously); every
    // other event is checked once, by the clone postMessage makes (see the Outbox).
    if (this.#publishing > 0) {
      const bad = checkCloneable(e)
      if (bad !== undefined) {
        this.#reject(bad)
        return
      }
    }
    this.#host.noteBridgedOut(e, this.name)
    if (this.#peerNonce === undefined || !this.#acks.responsive) {
      this.#held.push({ event: e, incarnation })
      if (this.#held.length > this.#maxPending) {
        this.#held.shift()
        this.#counters.dropped++
      }
      return
    }
    this.#outbox.push(e, incarnation)
  }

  #release(): void {
    const held = this.#held
    this.#held = []
    for (const h of held) this.#outbox.push(h.event, h.incarnation)
  }

  #reject(err: UncloneableDataError): void {
    this.#counters.uncloneable++
    if (this.#publishing > 0 && err.eventId !== undefined) (this.#failures ??= new Map()).set(err.eventId, err)
    this.#errors.next(err)
  }

  #liveness(responsive: boolean): void {
    if (this.closed) return
    if (responsive) {
      this.#status.next('ready')
      emitSystemEvent(this.#host, '$tidings.worker.restarted', () => ({ worker: this.name }))
      if (this.peerOrigin !== undefined && this.#peerPatterns !== undefined) this.#replies.peerServes(this.peerOrigin, this.peerOrigin, this.#peerPatterns)
      this.#release()
    } else {
      this.#counters.unresponsive++
      this.#status.next('unresponsive')
      // Requests it was answering fail now, and it serves nothing until it answers again (its
      // patterns come back then): the next request goes to another responder or fails at once.
      if (this.peerOrigin !== undefined) this.#replies.peerGone(this.peerOrigin, `worker "${this.name}" stopped answering (terminated, crashed or stuck for ${this.#livenessMs} ms)`)
      emitSystemEvent(this.#host, '$tidings.worker.crashed', () => ({ worker: this.name, reason: `no acknowledgement for ${this.#acks.unacknowledged} batch(es)` }))
      // What the outbox still holds would go into the void too: hold it instead.
      for (const it of this.#outbox.take()) this.#held.push({ event: it.event, incarnation: it.incarnation })
      this.#errors.next(new Error(`worker bridge "${this.name}": the peer has not acknowledged ${this.#acks.unacknowledged} batch(es); it may be terminated or busy. Events wait (up to maxPending) until it answers.`))
    }
  }

  // ------------------------------------------------------------------ inbound

  #receive(data: unknown): void {
    if (this.closed) return
    const msg = parseMessage(data)
    switch (msg.kind) {
      case 'foreign':
        return
      case 'malformed':
        this.#counters.malformed++
        return
      case 'hello':
        if (this.#peerNonce !== undefined && msg.nonce !== this.#peerNonce) {
          // A second peer on one endpoint, or someone impersonating ours: the first one stays.
          this.#counters.forged++
          return
        }
        if (!msg.ack) this.#hello(true)
        if (this.#peerNonce === undefined) {
          this.#peerNonce = msg.nonce
          this.peerOrigin = msg.origin
          this.#status.next('ready')
          this.#release()
          this.#outbox.flush()
          this.#announceReplies()
          // `ready` waits for the peer's reply patterns (below); a peer that never sends them
          // (not this package's bridge) still makes it ready after livenessTimeoutMs.
          setTimeout(this.#resolveReady, this.#livenessMs)
        }
        return
      case 'replies':
        this.#peerPatterns = msg.patterns
        if (this.peerOrigin !== undefined) {
          this.#replies.peerServes(this.peerOrigin, this.peerOrigin, msg.patterns)
          // The peer announces its reply patterns right after it gets our hello: `ready` waits
          // for that, so a request made right after `await bridge.ready` finds the responders
          // the worker registered at startup (it failed with NoResponderError before).
          this.#resolveReady()
        }
        return
      case 'ping':
        this.#ackLater()
        return
      case 'request':
      case 'reply':
        if (this.#replies.receive(msg.kind, msg.msg) !== undefined) this.#counters.malformed++
        return
      case 'ack':
        this.#acks.ack(msg.batches, Date.now())
        return
      case 'bye':
        if (msg.nonce !== this.#peerNonce) {
          this.#counters.forged++
          return
        }
        this.#shutdown(false)
        return
      case 'events':
        ingestBatch(this.#inbound, msg.batch, this.peerOrigin ?? 'the peer')
        if (this.#host.closed) {
          this.#shutdown(true)
          return
        }
        this.#ackLater()
    }
  }

  /** Acks one more batch (or ping) of the peer's, in a microtask (one ack for a burst). */
  #ackLater(): void {
    this.#batchesIn++
    if (!this.#ackScheduled) {
      this.#ackScheduled = true
      queueMicrotask(() => {
        this.#ackScheduled = false
        this.#post({ tag: TAG, v: VERSION, kind: 'ack', batches: this.#batchesIn })
      })
    }
  }

  /** A request went to the peer: ping it every livenessTimeoutMs / 2 while requests wait on it,
   *  so a worker terminated or crashed mid-request is found unresponsive (and the request fails
   *  with ResponderGoneError) within livenessTimeoutMs, not at the request's timeout. */
  #watch(): void {
    if (this.#beat !== undefined || this.closed) return
    this.#ping()
    this.#beat = setTimeout(() => {
      this.#beat = undefined
      if (this.#replies.sizes.pending > 0) this.#watch()
    }, this.#livenessMs / 2)
  }

  /** Posts a ping, counted and acked like a batch (the AckWindow times it). */
  #ping(): void {
    if (this.closed || !this.#acks.responsive) return
    this.#post({ tag: TAG, v: VERSION, kind: 'ping' })
    this.#acks.posted(Date.now())
  }

  /** Tells the peer which reply patterns this bus serves (once it is there). */
  #announceReplies(): void {
    if (this.#peerNonce !== undefined && !this.closed) this.#post({ tag: TAG, v: VERSION, kind: 'replies', patterns: this.#replies.patterns })
  }

  #hello(ack: boolean): void {
    this.#post({ tag: TAG, v: VERSION, kind: 'hello', origin: this.#host.origin, incarnation: this.#incarnation, nonce: this.#nonce, ack })
  }

  #post(msg: BridgeMessage): void {
    try {
      this.#endpoint.postMessage(msg, [])
    } catch (err) {
      this.#errors.next(toError(err))
    }
  }

  #shutdown(tellPeer: boolean): void {
    if (this.closed) return
    if (tellPeer && this.#peerNonce !== undefined && this.#acks.responsive) this.#outbox.flush(true)
    this.closed = true
    this.#replies.close(tellPeer ? 'the bridge was closed' : 'the other side closed')
    this.#hub.bridges.delete(this)
    this.#outbound?.unsubscribe()
    this.#acks.stop()
    clearTimeout(this.#beat)
    this.#endpoint.removeEventListener('message', this.#onMessage)
    ;(this.#endpoint as unknown as EventTarget).removeEventListener('error', this.#onWorkerError)
    ;(this.#endpoint as unknown as EventTarget).removeEventListener('close', this.#onPortClose)
    if (tellPeer) this.#post({ tag: TAG, v: VERSION, kind: 'bye', nonce: this.#nonce })
    this.#outbox.take()
    this.#held = []
    this.#status.next('closed')
    this.#status.complete()
    this.#errors.complete()
  }
}

function positive(option: string, v: number): number {
  return checkNumber(v, option, (n) => Number.isInteger(n) && n >= 1, 'use a positive integer', workerOptionError)
}
