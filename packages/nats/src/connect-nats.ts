// connectNats: one bus across devices and users through a NATS server over WebSocket, a thin
// transport over the shared pipe of '@tidings/core/bridge'.
//
// Out: events matching `share` (not `local`, not brought in by this bridge) are queued and sent
// once per microtask, each session in seq order, a run of same-type events per message on
// `<prefix>.<escaped type>` (sender.ts). While not connected they wait in the queue, bounded by
// maxBuffered with the bus's drop strategies, every drop counted (outbound.ts). In: every
// message is untrusted: it must decode to a batch whose every event has the subject's topic and
// passes the envelope checks and the session table (dedupe by session and seq, gaps by prev,
// echoes dropped) before the bus ingests it with its origin kept; each problem is counted and
// reported (inbound-issues.ts). NATS keeps the order of one publisher's messages, so per-origin
// order holds.
//
// JetStream (jetstream.ts) and request/reply (requests.ts) are loaded with import() only when
// their options are set, so an app that uses neither never downloads them.
import { PermissionViolationError, type ConnectionOptions, type NatsConnection } from '@nats-io/nats-core'
import { BusClosedError, compilePatterns, emitSystemEvent, type Bus, type EventMapOf, type TidingsEvent } from '@tidings/core'
import {
  bridgeHost,
  describeError,
  incarnationOfEvent,
  isRequest,
  SessionTable,
  type BridgeHost,
  type InboundPipe,
} from '@tidings/core/bridge'
import { electLeader, type LeaderElection } from '@tidings/tabs'
import { BehaviorSubject, Subject, type Subscription as RxSubscription } from 'rxjs'
import { NatsConnectionError, NatsMalformedError, NatsPermissionError, NatsUnsupportedError } from './errors.js'
import type { JetStreamLink } from './jetstream.js'
import { resolveOptions, type Resolved } from './options.js'
import { inboundIssues } from './inbound-issues.js'
import { outboundQueue } from './outbound.js'
import { whenConnected } from './when-connected.js'
import type { RequestLink } from './requests.js'
import { coveringFilters } from './subjects.js'
import type { Sender, SenderContext } from './sender.js'
import type { NatsBridge, NatsIssue, NatsOptions, NatsStatus } from './types.js'

/** The name inbound events are ingested under (`bus.bridgedBy(event) === 'nats'`). */
export const NATS_BRIDGE = 'nats'

/**
 * Connects `bus` to a NATS server over WebSocket: events whose type matches `options.share` go
 * to every other connected bus on the same `subject` prefix, and theirs come here (see NatsOptions
 * for auth, leader mode, JetStream and request/reply). Returns at once; `status$` says when it is
 * connected. Throws NatsOptionError (naming the option) for a bad option, InvalidTopicError for a
 * bad pattern, BusClosedError for a shut-down bus, NatsUnsupportedError without a global WebSocket
 * (Node 20 without --experimental-websocket). Nothing a remote side sends is thrown into the
 * app: problems are counted in stats() and emitted on errors$.
 */
// One closure rather than a class: its state and helpers are locals, which minify (a class's
// fields and methods keep their names in the bundle).
export function connectNats<M extends EventMapOf<M>>(bus: Bus<M>, options: NatsOptions): NatsBridge {
  const host: BridgeHost = bridgeHost(bus, 'connectNats()')
  if (host.closed) throw new BusClosedError(host.name, 'connect NATS')
  // nats-core's connect never settles without one: the bridge would say 'connecting' forever.
  if (typeof WebSocket !== 'function') throw new NatsUnsupportedError('WebSocket', 'connectNats()')
  const o: Resolved = resolveOptions(options)
  const state = new BehaviorSubject<NatsStatus>('connecting')
  const issues = new Subject<NatsIssue>()
  const counters = {
    sent: 0, received: 0, acked: 0, unacked: 0, duplicates: 0, echoes: 0, malformed: 0, gaps: 0, outOfOrder: 0, implausible: 0,
    rejected: 0, unsendable: 0, denied: 0, reconnects: 0, requestsSent: 0, requestsServed: 0,
  }
  let closed = false
  let dropped = 0
  /** The live connection (undefined while standing by or closed); `generation` tells a late
   *  connect that it was superseded. */
  let nc: NatsConnection | undefined
  let generation = 0
  const subs: RxSubscription[] = []
  const sessions = new SessionTable()
  const accepts = o.share.length > 0 ? compilePatterns(o.share) : () => false
  /** JetStream, with the jetstream option: `jsLoad` settles once jetstream.ts is loaded (it
   *  rejects with a NatsConnectionError when it cannot be), `js` is the link from then on. */
  let js: JetStreamLink | undefined
  let jsLoad: Promise<JetStreamLink> | undefined
  let removeAck: (() => void) | undefined
  /** Request/reply, with the requests or serve option, loaded the same way. */
  let requests: RequestLink | undefined
  let requestsLoad: Promise<RequestLink | undefined> | undefined

  const emit = (kind: NatsIssue['kind'], error: Error): void => {
    if (issues.observed) issues.next({ kind, error })
  }
  const connectionIssue = (err: Error): void => emit('connection', err)
  /** Whether `e` goes out over NATS at all (not local, not one this bridge brought in). */
  const outgoing = (e: TidingsEvent): boolean => !host.isLocal(e) && host.bridgedBy(e) !== NATS_BRIDGE
  const leading = (): boolean => election === undefined || election.isLeader
  /** True until the election says whether another tab leads (leader-decision.ts): meanwhile this tab
   *  may be the leader-to-be (alone, publishing right after connectNats()), so its own events
   *  wait in the outbound buffer, and a persistent one's publishAsync waits for its ack. */
  let undecided = false
  let closing: Promise<void> | undefined
  /** Why the bridge gave up connecting (whenConnected() rejects with it). */
  let fatal: Error | undefined

  const inbound: InboundPipe = {
    host,
    bridge: NATS_BRIDGE,
    sessions,
    accepts,
    issue: inboundIssues(counters, emit, malformed),
    forward: () => void counters.received++,
  }
  /** The send and receive code (wire-part.ts), loaded before the first connection: nothing
   *  is sent or received before one. */
  let wire: typeof import('./wire-part.js') | undefined
  let wireLoad: Promise<unknown> | undefined
  let send: Sender | undefined
  const senderContext: SenderContext = {
    host,
    prefix: o.prefix,
    bridge: NATS_BRIDGE,
    sessions,
    jetstream: () => js,
    connection: () => nc,
    sent: (n) => void (counters.sent += n),
    unsendable(e, error) {
      counters.unsendable++
      emit('unsendable', error)
      failed(e, error)
    },
  }
  const outbound = outboundQueue(o.maxBuffered, o.overflow, {
    canSend: () => nc !== undefined && state.value === 'connected',
    send: (events) => send!(events.filter(outgoing)),
    session: (e) => e.origin + '\u0000' + incarnationOfEvent(host, e),
    dropped(e) {
      dropped++
      const error = new NatsConnectionError(`publish of ${e.type} (${e.id})`, `dropped (${o.overflow}): the outbound buffer of ${o.maxBuffered} was full while ${state.value}`)
      emit('dropped', error)
      failed(e, error)
    },
  })
  if (o.share.length > 0) subs.push(host.on(o.share).subscribe({ next: enqueue, complete: () => void close() }))

  const jsOption = options.jetstream
  if (jsOption) {
    const load = (jsLoad = import('./jetstream.js').then(
      (m) => {
        js = new m.JetStreamLink(o, jsOption.stream, leading, {
          acked: () => void counters.acked++,
          unacked(err) {
            counters.unacked++
            emit('unacked', err)
          },
        })
        if (closed) js.close() // loaded after close()
        return js
      },
      (err: unknown) => Promise.reject(partError('JetStream', err)),
    ))
    load.catch(connectionIssue)
    // publishAsync of a persistent, shared event resolves when JetStream has it.
    removeAck = host.addPublishAck((e) => {
      if (e.persistent !== true || !accepts(e.type) || !outgoing(e) || !(leading() || undecided)) return undefined
      const acked = load.then((link) => link.ack(e))
      acked.catch(() => {}) // a publish() (not publishAsync) of a persistent event has no waiter
      return acked
    })
  }
  if (o.requests.length > 0 || o.serve.length > 0)
    requestsLoad = import('./requests.js').then(
      (m) =>
        (requests = new m.RequestLink(bus as unknown as Bus, host, o, {
          sent: () => void counters.requestsSent++,
          served: () => void counters.requestsServed++,
          malformed,
        })),
      (err: unknown) => void connectionIssue(partError('request/reply', err)),
    )

  const leader = options.leader ?? (typeof window !== 'undefined' && typeof navigator !== 'undefined' && navigator.locks !== undefined)
  const ownElection = leader === true
  const election: LeaderElection | undefined = ownElection ? electLeader('tidings.nats:' + o.prefix) : leader === false ? undefined : leader

  const bridge: NatsBridge = {
    status$: state.asObservable(),
    errors$: issues.asObservable(),
    get status() {
      return state.value
    },
    stats: () => ({
      ...counters,
      dropped,
      buffered: outbound.size,
      replayed: js?.replayed ?? 0,
      lastStreamSeq: js?.lastSeq ?? 0,
    }),
    whenConnected: () => whenConnected(state, () => fatal),
    flush,
    close,
  }

  if (election) {
    state.next('standby')
    undecided = true
    subs.push(
      election.isLeader$.subscribe((lead) => {
        if (lead) {
          undecided = false
          start()
        } else void stop('standby')
      }),
    )
    // Another tab leads: this tab's first events reached it over the tabs bridge (not dropped).
    // (A part of its own: only pages in leader mode load it, after connectNats() returns.)
    void import('./leader-decision.js').then(
      (m) => m.othersLead(election, () => undecided && !closed, () => ((undecided = false), outbound.take()), jsLoad),
      () => {},
    )
  } else start()
  return bridge

  async function flush(): Promise<void> {
    outbound.drain()
    const c = nc
    if (c && state.value === 'connected') await c.flush().catch(() => {})
  }

  /** One close for every caller (bus.shutdown() completing the subscription calls it too). */
  function close(): Promise<void> {
    return (closing ??= shutDown())
  }

  async function shutDown(): Promise<void> {
    // Bounded (2 s at most): a connection that stops answering must not keep close() waiting
    // for its PONG.
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([flush().catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, Math.min(o.ackTimeoutMs, 2000))))])
    clearTimeout(timer)
    closed = true
    for (const s of subs) s.unsubscribe()
    await stop('closed')
    if (ownElection) await election?.close()
    removeAck?.()
    js?.close()
    requests?.close()
    state.complete()
    issues.complete()
  }

  // ---------------------------------------------------------------- connection

  function setStatus(s: NatsStatus): void {
    if (state.value === s || state.value === 'closed') return
    state.next(s)
    if (s === 'connected') outbound.drain()
    // A system event per status change (local, and free while nobody listens to `$` topics).
    emitSystemEvent(host, '$tidings.nats.status', { status: s })
  }

  function start(): void {
    if (closed) return
    const gen = ++generation
    setStatus('connecting')
    const live = () => gen === generation && !closed
    const opts: ConnectionOptions = {
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // The bridge's own types describe the same fields (nats-core's do not compile strictly).
      ...(options.connection as ConnectionOptions | undefined),
      ...o.auth,
      servers: o.servers,
      noEcho: true,
    }
    // wire-part.ts first (loaded again after a failed load), then the connection's attempts
    // (first-connection.ts: until close(), or maxReconnectAttempts).
    const load = (n: number): void => {
      wireLoad ??= import('./wire-part.js').then(
        (m) => {
          send = m.createSender(senderContext)
          wire = m
        },
        (err: unknown) => {
          wireLoad = undefined
          throw err
        },
      )
      wireLoad.then(
        () => live() && wire!.connectFirst(opts, o.servers, { live, connected: (c) => connected(c, gen, live), failing: connectionIssue, gaveUp }),
        (err: unknown) => {
          if (!live()) return
          if (n === 1) connectionIssue(partError('sending and receiving', err))
          setTimeout(() => load(n + 1), Math.min(5000, 250 * n))
        },
      )
    }
    load(1)
  }

  /** No more attempts (wrong credentials, maxReconnectAttempts spent): say why, and close. */
  function gaveUp(error: Error): void {
    fatal = error
    connectionIssue(error)
    void close()
  }

  /** `c` is up for start() number `gen`; `live()` turns false once that start is superseded or
   *  the bridge closes. */
  function connected(c: NatsConnection, gen: number, live: () => boolean): void {
    nc = c
    void watch(c, gen)
    // The client gave up (credentials revoked, maxReconnectAttempts spent): say why, and close.
    void c.closed().then((err) => live() && gaveUp(wire!.connectionClosed(o.servers, err, options.connection?.maxReconnectAttempts)))
    // Without JetStream, core subscriptions (with it, its consumer reads the same subjects).
    if (!jsLoad)
      for (const filter of coveringFilters(o.prefix, o.share))
        c.subscribe(filter, { callback: (err, msg) => (err ? serverError(err) : receive(msg.subject, msg.data)) })
    const requested = requestsLoad?.then((link) => void (live() && link?.attach(c)))
    // 'connected' once the server has our subscriptions (and the JetStream consumer exists, and
    // the request/reply responder is registered), so what is published after whenConnected()
    // resolves is received.
    const consumer = jsLoad?.then(
      (link) => (live() ? link.attach(c, receive, connectionIssue) : undefined),
      () => {}, // reported once, when loading failed
    )
    void Promise.all([consumer, requested, c.flush().catch(() => {})]).then(() => {
      if (live() && state.value === 'connecting') setStatus('connected')
    })
  }

  async function stop(to: NatsStatus): Promise<void> {
    generation++
    const c = nc
    nc = undefined
    requests?.detach()
    await js?.detach()
    setStatus(to)
    if (c) await c.close().catch(() => {})
  }

  async function watch(c: NatsConnection, gen: number): Promise<void> {
    for await (const s of c.status()) {
      if (gen !== generation) return
      if (s.type === 'disconnect') setStatus('reconnecting')
      else if (s.type === 'reconnect') {
        counters.reconnects++
        setStatus('connected')
        void js?.resume()
      } else if (s.type === 'error') serverError(s.error)
    }
  }

  function serverError(err: Error): void {
    if (err instanceof PermissionViolationError) {
      counters.denied++
      emit('denied', new NatsPermissionError(err.operation, err.subject))
    } else connectionIssue(new NatsConnectionError('NATS server', describeError(err)))
  }

  // ---------------------------------------------------------------- outbound

  function enqueue(e: TidingsEvent): void {
    // A request travels as a request (requests.ts), never as a plain event.
    if (closed || !outgoing(e) || isRequest(host, e)) return
    // Another tab leads: remember events that reach this tab, so that after a handover the same
    // events replayed from JetStream are duplicates here.
    if (state.value === 'standby') {
      if (e.origin !== host.origin) sessions.observe(e.origin, incarnationOfEvent(host, e), e.seq)
      else if (undecided) outbound.push(e)
      return
    }
    outbound.push(e)
  }

  /** `e` never went out: a publishAsync waiting for its JetStream ack fails with `error` (the
   *  link looks only at persistent events). */
  function failed(e: TidingsEvent, error: Error): void {
    jsLoad?.then((link) => link.failed(e, error), () => {})
  }

  // ---------------------------------------------------------------- inbound

  /** One message from NATS (receive.ts): never throws. */
  function receive(subject: string, data: Uint8Array): void {
    if (!closed) wire!.receiveMessage(inbound, o.prefix, subject, data, malformed)
  }

  function malformed(subject: string, reason: string): void {
    counters.malformed++
    emit('malformed', new NatsMalformedError(subject, reason))
  }
}

/** A lazily loaded part of the bridge could not be loaded. */
function partError(part: string, err: unknown): Error {
  return new NatsConnectionError(`loading the ${part} part of @tidings/nats`, describeError(err))
}
