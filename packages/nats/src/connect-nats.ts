// connectNats: one bus across devices and users through a NATS server over WebSocket, a thin
// transport over the shared pipe of '@tidings/core/bridge'.
//
// Out: events matching `share` (not `local`, not brought in by this bridge) are queued and sent
// once per microtask, each session in seq order, a run of same-type events per message on
// `<prefix>.<escaped type>` (sender.ts). While not connected they wait in the queue, bounded by
// maxBuffered with the bus's drop strategies, every drop counted (outbound.ts). In: every
// message is untrusted: it must decode to a batch whose every event has the subject's topic and
// passes the envelope checks and the session table (dedupe by session and seq, gaps by prev,
// echoes dropped) before the bus ingests it with its origin kept. NATS keeps the order of one
// publisher's messages, so per-origin order holds.
//
// JetStream (jetstream.ts) and request/reply (requests.ts) are loaded with import() only when
// their options are set, so an app that uses neither never downloads them.
import { wsconnect, PermissionViolationError, type ConnectionOptions, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/nats-core'
import { BusClosedError, compilePatterns, emitSystemEvent, type Bus, type EventMapOf, type TidingsEvent } from '@tidings/core'
import {
  bridgeHost,
  describeError,
  incarnationOfEvent,
  ingestBatch,
  isRequest,
  SessionTable,
  type BridgeHost,
  type InboundIssue,
  type InboundPipe,
} from '@tidings/core/bridge'
import { electLeader, type LeaderElection } from '@tidings/tabs'
import { BehaviorSubject, Subject, type Observable, type Subscription as RxSubscription } from 'rxjs'
import { NatsConnectionError, NatsMalformedError, NatsPermissionError } from './errors.js'
import { decodeFrame, frameType } from './frame.js'
import type { JetStreamLink } from './jetstream.js'
import { resolveOptions, type Resolved } from './options.js'
import { OutboundQueue } from './outbound.js'
import { Sender } from './sender.js'
import type { RequestLink } from './requests.js'
import { resumePoint, type ResumePoint } from './resume-point.js'
import { coveringFilters, topicOf } from './subjects.js'
import type { NatsBridge, NatsIssue, NatsOptions, NatsStats, NatsStatus } from './types.js'

/** The name inbound events are ingested under (`bus.bridgedBy(event) === 'nats'`). */
export const NATS_BRIDGE = 'nats'

/**
 * Connects `bus` to a NATS server over WebSocket: events whose type matches `options.share` go
 * to every other connected bus on the same `subject` prefix, and theirs come here (see NatsOptions
 * for auth, leader mode, JetStream and request/reply). Returns at once; `status$` says when it is
 * connected. Throws NatsOptionError (naming the option) for a bad option, InvalidTopicError for a
 * bad pattern, BusClosedError for a shut-down bus. Nothing a remote side sends is thrown into the
 * app: problems are counted in stats() and emitted on errors$.
 */
export function connectNats<M extends EventMapOf<M>>(bus: Bus<M>, options: NatsOptions): NatsBridge {
  return new NatsBridgeImpl(bus as unknown as Bus, bridgeHost(bus, 'connectNats()'), options)
}

class NatsBridgeImpl implements NatsBridge {
  private readonly state = new BehaviorSubject<NatsStatus>('connecting')
  readonly status$: Observable<NatsStatus> = this.state.asObservable()
  private readonly issues = new Subject<NatsIssue>()
  readonly errors$: Observable<NatsIssue> = this.issues.asObservable()
  private readonly counters = {
    sent: 0, received: 0, acked: 0, unacked: 0, duplicates: 0, echoes: 0, malformed: 0, gaps: 0, outOfOrder: 0, implausible: 0,
    rejected: 0, unsendable: 0, denied: 0, reconnects: 0, requestsSent: 0, requestsServed: 0,
  }
  private closed = false
  private readonly o: Resolved
  private readonly options: NatsOptions
  private readonly host: BridgeHost
  private readonly accepts: (type: string) => boolean
  private readonly sessions = new SessionTable()
  private readonly inbound: InboundPipe
  private readonly election: LeaderElection | undefined
  private readonly ownElection: boolean
  /** JetStream, with the jetstream option: `jsLoad` settles once jetstream.ts is loaded (it
   *  rejects with a NatsConnectionError when it cannot be), `js` is the link from then on. */
  private js: JetStreamLink | undefined
  private readonly jsLoad: Promise<JetStreamLink> | undefined
  private readonly point: ResumePoint | undefined
  private readonly removeAck: (() => void) | undefined
  /** Request/reply, with the requests or serve option, loaded the same way. */
  private requests: RequestLink | undefined
  private readonly requestsLoad: Promise<RequestLink | undefined> | undefined
  private readonly subs: RxSubscription[] = []
  /** The live connection (undefined while standing by or closed); `generation` tells a late
   *  connect that it was superseded. */
  private nc: NatsConnection | undefined
  private natsSubs: NatsSubscription[] = []
  private generation = 0
  private readonly outbound: OutboundQueue
  private readonly sender: Sender
  private dropped = 0

  constructor(bus: Bus, host: BridgeHost, options: NatsOptions) {
    this.host = host
    if (host.closed) throw new BusClosedError(host.name, 'connect NATS')
    this.options = options
    this.o = resolveOptions(options)
    this.accepts = this.o.share.length > 0 ? compilePatterns(this.o.share) : () => false
    this.inbound = {
      host,
      bridge: NATS_BRIDGE,
      sessions: this.sessions,
      accepts: this.accepts,
      issue: (kind, reason, error) => this.inboundIssue(kind, reason, error),
      forward: () => void this.counters.received++,
    }
    this.sender = new Sender({
      host,
      prefix: this.o.prefix,
      bridge: NATS_BRIDGE,
      sessions: this.sessions,
      jetstream: () => this.js,
      connection: () => this.nc,
      sent: (n) => void (this.counters.sent += n),
      unsendable: (e, error) => this.unsendable(e, error),
    })
    this.outbound = new OutboundQueue(this.o.maxBuffered, this.o.overflow, {
      canSend: () => this.canSend(),
      send: (events) => this.sender.send(events.filter((e) => this.outgoing(e))),
      session: (e) => e.origin + '\u0000' + incarnationOfEvent(host, e),
      dropped: (e) => this.drop(e),
    })
    if (this.o.share.length > 0) this.subs.push(host.on(this.o.share).subscribe({ next: (e) => this.enqueue(e), complete: () => void this.close() }))
    const js = options.jetstream
    if (js) {
      const point = (this.point = resumePoint(js.stream, this.o.prefix, () => this.leading()))
      const load = (this.jsLoad = import('./jetstream.js').then(
        (m) =>
          (this.js = new m.JetStreamLink(this.o, js.stream, point, {
            acked: () => void this.counters.acked++,
            unacked: (err) => {
              this.counters.unacked++
              this.emit('unacked', err)
            },
          })),
        (err: unknown) => Promise.reject(new NatsConnectionError('loading the JetStream part of @tidings/nats', describeError(err))),
      ))
      load.catch((err: Error) => this.connectionIssue(err))
      // publishAsync of a persistent, shared event resolves when JetStream has it.
      this.removeAck = host.addPublishAck((e) => {
        if (e.persistent !== true || !this.accepts(e.type) || !this.outgoing(e) || !this.leading()) return undefined
        const acked = load.then((link) => link.ack(e))
        acked.catch(() => {}) // a publish() (not publishAsync) of a persistent event has no waiter
        return acked
      })
    }
    if (this.o.requests.length > 0 || this.o.serve.length > 0)
      this.requestsLoad = import('./requests.js').then(
        (m) =>
          (this.requests = new m.RequestLink(bus, host, this.o, {
            sent: () => void this.counters.requestsSent++,
            served: () => void this.counters.requestsServed++,
            malformed: (subject, reason) => this.malformed(subject, reason),
          })),
        (err: unknown) => void this.connectionIssue(new NatsConnectionError('loading the request/reply part of @tidings/nats', describeError(err))),
      )

    const leader = options.leader ?? (typeof window !== 'undefined' && typeof navigator !== 'undefined' && navigator.locks !== undefined)
    this.ownElection = leader === true
    this.election = leader === true ? electLeader('tidings.nats:' + this.o.prefix) : leader === false ? undefined : leader
    if (this.election) {
      this.state.next('standby')
      this.subs.push(this.election.isLeader$.subscribe((lead) => (lead ? this.start() : void this.stop('standby'))))
    } else this.start()
  }

  get status(): NatsStatus {
    return this.state.value
  }

  stats(): NatsStats {
    return {
      ...this.counters,
      dropped: this.dropped,
      buffered: this.outbound.size,
      replayed: this.js?.replayed ?? 0,
      lastStreamSeq: this.point?.seq ?? 0,
    }
  }

  whenConnected(): Promise<void> {
    if (this.state.value === 'connected') return Promise.resolve()
    if (this.state.value === 'closed') return Promise.reject(closedBeforeConnect())
    return new Promise((resolve, reject) => {
      const sub = this.state.subscribe({
        next: (s) => {
          if (s === 'connected') resolve()
          else if (s === 'closed') reject(closedBeforeConnect())
          else return
          queueMicrotask(() => sub.unsubscribe())
        },
        complete: () => reject(closedBeforeConnect()),
      })
    })
  }

  async flush(): Promise<void> {
    this.outbound.drain()
    const nc = this.nc
    if (nc && this.state.value === 'connected') await nc.flush().catch(() => {})
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.flush().catch(() => {})
    this.closed = true
    for (const s of this.subs) s.unsubscribe()
    await this.stop('closed')
    if (this.ownElection) await this.election?.close()
    this.removeAck?.()
    this.point?.channel?.close()
    this.requests?.close()
    this.state.complete()
    this.issues.complete()
  }

  // ---------------------------------------------------------------- connection

  private leading(): boolean {
    return this.election === undefined || this.election.isLeader
  }

  private setStatus(s: NatsStatus): void {
    if (this.state.value === s || this.state.value === 'closed') return
    this.state.next(s)
    if (s === 'connected') this.outbound.drain()
    // A system event per status change (local, and free while nobody listens to `$` topics).
    emitSystemEvent(this.host, '$tidings.nats.status', { status: s })
  }

  private start(): void {
    if (this.closed) return
    const gen = ++this.generation
    this.setStatus('connecting')
    const o = this.options
    const auth: Record<string, string> = {}
    if (o.token !== undefined) auth['token'] = o.token
    if (o.user !== undefined) auth['user'] = o.user
    if (o.pass !== undefined) auth['pass'] = o.pass
    const opts: ConnectionOptions = {
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // The bridge's own types describe the same fields (nats-core's do not compile strictly).
      ...(o.connection as ConnectionOptions | undefined),
      ...auth,
      servers: this.o.servers,
      noEcho: true,
    }
    // The first connection is retried here rather than with the client's waitOnFirstConnect,
    // which cannot be stopped: close() (or losing the lead) ends these attempts.
    const attempt = (n: number): void => {
      wsconnect(opts).then(
        (nc) => (gen !== this.generation || this.closed ? void nc.close() : this.connected(nc, gen)),
        (err: unknown) => {
          if (gen !== this.generation || this.closed) return
          const error = new NatsConnectionError('connectNats()', describeError(err))
          if (err instanceof Error && err.name === 'AuthorizationError') {
            this.connectionIssue(error)
            void this.close()
            return
          }
          if (n === 1) this.connectionIssue(error)
          setTimeout(() => attempt(n + 1), Math.min(5000, (opts.reconnectTimeWait ?? 250) * n))
        },
      )
    }
    attempt(1)
  }

  private connected(nc: NatsConnection, gen: number): void {
    this.nc = nc
    void this.watch(nc, gen)
    // The client gave up (credentials revoked, maxReconnectAttempts spent): say why, and close.
    void nc.closed().then((err) => {
      if (gen !== this.generation || this.closed) return
      this.connectionIssue(new NatsConnectionError('the NATS connection closed', err ? describeError(err) : 'the client stopped reconnecting'))
      void this.close()
    })
    this.subscribeInbound(nc)
    const live = () => gen === this.generation && !this.closed
    const requests = this.requestsLoad?.then((link) => void (live() && link?.attach(nc)))
    // 'connected' once the server has our subscriptions (and the JetStream consumer exists, and
    // the request/reply responder is registered), so what is published after whenConnected()
    // resolves is received.
    const consumer = this.jsLoad?.then(
      (link) => (live() ? link.attach(nc, (m) => this.receive(m.subject, m.data), (err) => this.connectionIssue(err)) : undefined),
      () => {}, // reported once, when loading failed
    )
    void Promise.all([consumer, requests, nc.flush().catch(() => {})]).then(() => {
      if (gen === this.generation && !this.closed && this.state.value === 'connecting') this.setStatus('connected')
    })
  }

  private async stop(to: NatsStatus): Promise<void> {
    this.generation++
    const nc = this.nc
    this.nc = undefined
    this.natsSubs = []
    this.requests?.detach()
    await this.js?.detach()
    this.setStatus(to)
    if (nc) await nc.close().catch(() => {})
  }

  private async watch(nc: NatsConnection, gen: number): Promise<void> {
    for await (const s of nc.status()) {
      if (gen !== this.generation) return
      switch (s.type) {
        case 'disconnect':
          this.setStatus('reconnecting')
          break
        case 'reconnect':
          this.counters.reconnects++
          this.setStatus('connected')
          void this.js?.resume()
          break
        case 'error':
          this.serverError(s.error)
          break
        default:
      }
    }
  }

  private serverError(err: Error): void {
    if (err instanceof PermissionViolationError) {
      this.counters.denied++
      this.emit('denied', new NatsPermissionError(err.operation, err.subject))
    } else this.connectionIssue(new NatsConnectionError('NATS server', describeError(err)))
  }

  private connectionIssue(err: Error): void {
    this.emit('connection', err)
  }

  // ---------------------------------------------------------------- outbound

  private enqueue(e: TidingsEvent): void {
    // A request travels as a request (requests.ts), never as a plain event.
    if (this.closed || !this.outgoing(e) || isRequest(this.host, e)) return
    if (this.state.value === 'standby') return this.observe(e)
    this.outbound.push(e)
  }

  private canSend(): boolean {
    return this.nc !== undefined && this.state.value === 'connected'
  }

  private drop(e: TidingsEvent): void {
    this.dropped++
    const error = new NatsConnectionError(`publish of ${e.type} (${e.id})`, `dropped (${this.o.overflow}): the outbound buffer of ${this.o.maxBuffered} was full while ${this.state.value}`)
    this.emit('dropped', error)
    this.failed(e, error)
  }

  /** Whether `e` goes out over NATS at all (not local, not one this bridge brought in). */
  private outgoing(e: TidingsEvent): boolean {
    return !this.host.isLocal(e) && this.host.bridgedBy(e) !== NATS_BRIDGE
  }

  /** Another tab leads: remember events that reach this tab, so that after a handover the same
   *  events replayed from JetStream are duplicates here. */
  private observe(e: TidingsEvent): void {
    if (!this.outgoing(e) || e.origin === this.host.origin) return
    this.sessions.observe(e.origin, incarnationOfEvent(this.host, e), e.seq)
  }

  private unsendable(e: TidingsEvent, error: Error): void {
    this.counters.unsendable++
    this.emit('unsendable', error)
    this.failed(e, error)
  }

  /** `e` never went out: a publishAsync waiting for its JetStream ack fails with `error`. */
  private failed(e: TidingsEvent, error: Error): void {
    if (e.persistent === true) this.jsLoad?.then((link) => link.failed(e, error), () => {})
  }

  // ---------------------------------------------------------------- inbound

  private subscribeInbound(nc: NatsConnection): void {
    if (this.o.share.length === 0 || this.jsLoad) return
    for (const filter of coveringFilters(this.o.prefix, this.o.share)) {
      this.natsSubs.push(
        nc.subscribe(filter, {
          callback: (err, msg) => {
            if (err) this.serverError(err)
            else this.receive(msg.subject, msg.data)
          },
        }),
      )
    }
  }

  /** One message from NATS: never throws. */
  receive(subject: string, data: Uint8Array): void {
    if (this.closed) return
    try {
      const type = topicOf(this.o.prefix, subject)
      if (type === undefined) return this.malformed(subject, 'the subject is not under the bridge prefix')
      let batch: unknown
      try {
        batch = decodeFrame(data)
      } catch (err) {
        return this.malformed(subject, describeError(err))
      }
      const claimed = frameType(batch)
      // Per-subject permissions are the server's only guard: an event must travel on its own
      // topic's subject, or a user allowed on `chat.>` could inject `admin.*` events.
      if (claimed !== type) return this.malformed(subject, claimed === undefined ? 'not a one-event Tidings batch' : `it claims topic "${claimed.slice(0, 100)}", which is not its subject's`)
      ingestBatch(this.inbound, batch, subject)
    } catch (err) {
      this.malformed(subject, describeError(err))
    }
  }

  private malformed(subject: string, reason: string): void {
    this.counters.malformed++
    this.emit('malformed', new NatsMalformedError(subject, reason))
  }

  private inboundIssue(kind: InboundIssue, reason: string, error?: unknown): void {
    const c = this.counters
    switch (kind) {
      case 'malformed':
        c.malformed++
        this.emit('malformed', new NatsMalformedError('(event)', reason))
        return
      case 'rejected':
        c.rejected++
        this.emit('rejected', error instanceof Error ? error : new Error(reason))
        return
      case 'gap':
        c.gaps++
        this.emit('gap', new NatsConnectionError('events were lost', reason))
        return
      case 'echo':
        c.echoes++
        return
      case 'duplicate':
        c.duplicates++
        return
      case 'late':
        c.outOfOrder++
        return
      case 'implausible':
        c.implausible++
        return
      case 'unshared':
    }
  }

  private emit(kind: NatsIssue['kind'], error: Error): void {
    if (this.issues.observed) this.issues.next({ kind, error })
  }
}

function closedBeforeConnect(): Error {
  return new NatsConnectionError('connectNats()', 'the bridge was closed before it connected')
}
