// connectTabs: one bus across the tabs of an origin over BroadcastChannel, a thin transport over
// the shared pipe of '@tidings/core/bridge'.
//
// Out: events matching `share` that are not `local` and were not ingested by this bridge go
// through the Outbox (one batch per microtask, each session in seq order). In: every message is
// untrusted; its shape, each envelope and, with a key, the HMAC are checked before anything
// reaches the bus, and ingestBatch drops duplicates per session (origin + incarnation) and
// reports gaps. BroadcastChannel reaches every tab directly, so no tab relays another's events.
// Presence (hello, heartbeat, bye) is in peers.ts; a bye is probed before a peer is dropped.
import { BusClosedError, createOriginId, emitSystemEvent, type Bus, type EventMapOf, type TidingsEvent } from '@tidings/core'
import {
  bridgeHost,
  describeError,
  incarnationOf,
  incarnationOfEvent,
  ingestBatch,
  isRequest,
  Outbox,
  ReplyLink,
  SessionTable,
  type BridgeHost,
  type EventBatch,
  type InboundPipe,
} from '@tidings/core/bridge'
import type { Observable, Subscription as RxSubscription } from 'rxjs'
import { broadcast } from './broadcast.js'
import { TabsUnsupportedError } from './errors.js'
import { Ordered } from './ordered.js'
import { PeerTracker, type PeerChange, type TabPeer } from './peers.js'
import { WIRE_TAG, WIRE_VERSION, parseWire, type BatchMessage, type ByeMessage, type HelloMessage, type InnerMessage, type SignedMessage } from './protocol.js'
import { registerBridge } from './registry.js'
import { TabsIssues } from './tabs-issues.js'
import { resolveTabsOptions, unencodable } from './tabs-options.js'
import { createSigner, encodeMessage, TABS_SIGNED, type Signer } from './signer.js'
import type { TabsBridge, TabsIssue, TabsOptions, TabsStats } from './tabs-types.js'

export type { TabsBridge, TabsIssue, TabsOptions, TabsStats } from './tabs-types.js'

/** The name inbound events are ingested under (`bus.bridgedBy(event) === 'tabs'`). */
export const TABS_BRIDGE = 'tabs'

const CHANNEL_PREFIX = 'tidings.tabs:'
/** Answers to "who is here?" are sent at most this often: a flood of forged hellos must not make
 *  every tab flood the channel back. */
const ANSWER_INTERVAL_MS = 250

export function connectTabs<M extends EventMapOf<M>>(bus: Bus<M>, options: TabsOptions = {}): TabsBridge {
  return new TabsBridgeImpl(bridgeHost(bus, 'connectTabs()'), options)
}

class TabsBridgeImpl implements TabsBridge {
  readonly id = createOriginId('tab')
  readonly channel: string
  closed = false
  readonly ready: Promise<void>
  readonly peers$: Observable<readonly TabPeer[]>
  readonly peerChanges$: Observable<PeerChange>
  private readonly issues = new TabsIssues()
  readonly issues$: Observable<TabsIssue> = this.issues.issues$

  private readonly bc: BroadcastChannel
  private readonly counters = this.issues.counters
  private readonly host: BridgeHost
  private readonly incarnation: string
  private readonly sessions: SessionTable
  private readonly inbound: InboundPipe
  private readonly outbox: Outbox
  private readonly tracker: PeerTracker
  /** bus.request() across tabs (reply-link.ts in core's bridge layer). */
  private readonly link: ReplyLink
  private readonly graceMs: number
  private readonly ordered = new Ordered()
  private readonly redact: TabsOptions['redact']
  private readonly signerReady: Promise<Signer | undefined>
  private signer: Signer | undefined
  private signedBye: SignedMessage | undefined
  private readonly keyed: boolean
  private lastAnswer = 0
  private answerTimer: ReturnType<typeof setTimeout> | undefined
  private readonly outbound: RxSubscription | undefined
  private readonly timer: ReturnType<typeof setInterval>
  private readonly unregister: () => void
  private hiddenByCache = false
  private readonly onPageHide = (e: Event): void => {
    // A page kept in the back/forward cache comes back with pageshow: say hello again then.
    this.postBye()
    if ((e as PageTransitionEvent).persisted) this.hiddenByCache = true
  }
  private readonly onPageShow = (e: Event): void => {
    if ((e as PageTransitionEvent).persisted || this.hiddenByCache) {
      this.hiddenByCache = false
      this.announce('hello', true)
    }
  }

  constructor(host: BridgeHost, options: TabsOptions) {
    this.host = host
    if (host.closed) throw new BusClosedError(host.name, 'connect tabs')
    if (typeof BroadcastChannel !== 'function') throw new TabsUnsupportedError('BroadcastChannel', 'connectTabs()')
    const o = resolveTabsOptions(options)
    const { channel, heartbeatMs, peerTimeoutMs, maxBatch, maxBatchBytes, shared, key } = o
    this.channel = channel
    this.redact = o.redact
    this.keyed = key !== undefined
    this.signerReady = key === undefined ? Promise.resolve(undefined) : createSigner(key, TABS_SIGNED, 'connectTabs({ key })')
    this.ready = this.signerReady.then(async (s) => {
      this.signer = s
      if (s) this.signedBye = await s.sign(this.byeMessage())
    })
    // A rejected `ready` must not surface as an unhandled rejection when nobody awaits it.
    this.ready.catch(() => {})

    this.incarnation = incarnationOf(host)
    this.graceMs = Math.max(2 * heartbeatMs, 500)
    this.tracker = new PeerTracker(peerTimeoutMs, this.graceMs)
    this.peers$ = this.tracker.peers$
    this.peerChanges$ = this.tracker.changes$
    // One '$tidings.tabs.peer.joined' / '.left' system event per change (nothing is built while
    // nobody subscribes to it); the tracker completes on close.
    this.tracker.changes$.subscribe((c) =>
      c.kind === 'join'
        ? emitSystemEvent(host, '$tidings.tabs.peer.joined', () => ({ channel, peer: c.peer.id, origin: c.peer.origin }))
        : emitSystemEvent(host, '$tidings.tabs.peer.left', () => ({ channel, peer: c.peer.id, origin: c.peer.origin, reason: c.reason })),
    )
    this.link = new ReplyLink({
      id: this.id,
      host,
      accepts: shared,
      send: (m) => (this.keyed ? this.sendSigned({ tag: WIRE_TAG, v: WIRE_VERSION, ...m }, () => {}) : broadcast(this.bc, { tag: WIRE_TAG, v: WIRE_VERSION, ...m })),
      announce: () => this.announce('heartbeat', false),
    })
    this.tracker.changes$.subscribe((c) => c.kind === 'leave' && this.link.peerGone(c.peer.id, `the tab left (${c.reason})`))
    this.sessions = new SessionTable({ window: o.dedupeWindow })
    this.inbound = {
      host,
      bridge: TABS_BRIDGE,
      sessions: this.sessions,
      issue: (kind, reason) => this.issues.inbound(kind, reason),
      forward: () => void this.counters.received++,
      // A tab that does nothing with an event type never reads its payload (it relays nothing).
      // Its own outbound observer is a route of every shared type, but never takes an ingested
      // event (see enqueue), so it does not count.
      skipUnrouted: true,
      ownRoutes: (type) => (shared(type) ? 1 : 0),
    }
    this.outbox = new Outbox({
      maxBatch,
      maxBatchBytes,
      post: (batch, events) => this.postBatch(batch, events.length),
      unsendable: (e, reason) => this.issue('unsendable', `${e.type} (${e.id}) cannot be sent: ${reason}`),
      // With a key, events travel as encoded text: name what the encoding refuses, by path.
      check: this.keyed ? unencodable : undefined,
    })
    this.unregister = registerBridge(host, channel)
    this.bc = new BroadcastChannel(CHANNEL_PREFIX + channel)
    this.bc.addEventListener('message', (e: MessageEvent) => {
      // Last line of defence: nothing another tab sends may throw into this page.
      try {
        this.receive(e.data)
      } catch (err) {
        this.issue('malformed', `a message could not be handled: ${describeError(err)}`)
      }
    })
    this.bc.addEventListener('messageerror', () => this.issue('malformed', 'a message could not be deserialized'))

    const patterns = o.share
    if (patterns.length > 0) {
      this.outbound = host.on(patterns).subscribe({ next: (e) => this.enqueue(e), complete: () => void this.close() })
    }
    this.timer = setInterval(() => {
      // A bus shut down without anything shared would otherwise keep announcing itself.
      if (host.closed) {
        void this.close()
        return
      }
      // A quiet peer may be a hidden tab whose timers are throttled: ask everyone to answer now.
      this.announce('heartbeat', this.tracker.expire(Date.now()))
    }, heartbeatMs)
    if (typeof addEventListener === 'function' && typeof window !== 'undefined') {
      addEventListener('pagehide', this.onPageHide)
      addEventListener('pageshow', this.onPageShow)
    }
    this.announce('hello', true)
  }

  stats(): TabsStats {
    return { ...this.counters, peers: this.tracker.size }
  }

  peers(): TabPeer[] {
    return this.tracker.current()
  }

  async flush(): Promise<void> {
    this.outbox.flush(true)
    await this.ordered.drained()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.unregister()
    this.outbound?.unsubscribe()
    clearInterval(this.timer)
    if (this.answerTimer !== undefined) clearTimeout(this.answerTimer)
    if (typeof removeEventListener === 'function' && typeof window !== 'undefined') {
      removeEventListener('pagehide', this.onPageHide)
      removeEventListener('pageshow', this.onPageShow)
    }
    this.link.close('the tab closed')
    this.closed = false // let the last batch out
    this.outbox.flush(true)
    this.closed = true
    await this.ordered.drained()
    this.postBye()
    this.bc.close()
    this.tracker.close()
    this.issues.complete()
  }

  // ---------------------------------------------------------------- outbound

  private enqueue(e: TidingsEvent): void {
    if (this.closed) return
    const host = this.host
    if (host.isLocal(e) || isRequest(host, e)) return // a request crosses to one tab only, as a request
    // Never send back what this bridge ingested; events other bridges (a worker) injected go on.
    if (host.bridgedBy(e) === TABS_BRIDGE) return
    const inc = incarnationOfEvent(host, e)
    // Another origin's event (a worker's) that this tab forwards: remember it, so the same event
    // forwarded by another tab is a duplicate here.
    if (e.origin !== host.origin) this.sessions.observe(e.origin, inc, e.seq)
    let out: TidingsEvent = e
    if (this.redact) {
      try {
        const r = this.redact(e)
        if (r === null || r === undefined) return
        out = r
      } catch (err) {
        this.issue('unsendable', `redact threw for ${e.type} (${e.id}): ${describeError(err)}`)
        return
      }
    }
    host.noteBridgedOut(e, TABS_BRIDGE)
    this.outbox.push(out, inc)
  }

  /** Posts one batch; throws (so the Outbox splits it) when it cannot be sent. */
  private postBatch(batch: EventBatch, n: number): void {
    if (this.closed) return
    const msg: BatchMessage = { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'batch', from: this.id, batch }
    if (!this.keyed) {
      broadcast(this.bc, msg)
      this.counters.sent += n
      this.counters.batchesSent++
      return
    }
    this.sendSigned(msg, () => {
      this.counters.sent += n
      this.counters.batchesSent++
    })
  }

  private send(msg: InnerMessage): void {
    if (!this.keyed) {
      try {
        broadcast(this.bc, msg)
      } catch {
        // closed channel
      }
      return
    }
    try {
      this.sendSigned(msg, () => {})
    } catch {
      // A control message always encodes; nothing to tell.
    }
  }

  /** Encodes now (throws on what cannot be encoded, so the Outbox can split a batch), signs
   *  asynchronously, posts in order. */
  private sendSigned(msg: InnerMessage, posted: () => void): void {
    let signed: Promise<SignedMessage>
    if (this.signer !== undefined) signed = this.signer.sign(msg)
    else {
      encodeMessage(msg, TABS_SIGNED) // the key is still being imported: fail now on data that cannot be encoded
      signed = this.signerReady.then((s) => s!.sign(msg))
    }
    this.ordered.push(
      signed,
      (m) => {
        try {
          broadcast(this.bc, m)
          posted()
        } catch {
          // Channel already closed (close() raced a late signature): nothing left to tell.
        }
      },
      (err) => {
        if (msg.kind === 'batch') this.issue('unsendable', `could not sign a batch of ${msg.batch.n}: ${describeError(err)}`, msg.batch.n)
      },
    )
  }

  private announce(kind: 'hello' | 'heartbeat', ask: boolean): void {
    if (this.closed) return
    const msg: HelloMessage = { tag: WIRE_TAG, v: WIRE_VERSION, kind, from: this.id, origin: this.host.origin, incarnation: this.incarnation, name: this.host.name }
    if (ask) msg.ask = true
    if (this.link.patterns.length > 0) msg.replies = this.link.patterns
    this.send(msg)
  }

  /** Tells a newcomer (or a prober) who is here, at most once per ANSWER_INTERVAL_MS. */
  private answer(): void {
    if (this.answerTimer !== undefined) return
    const wait = this.lastAnswer + ANSWER_INTERVAL_MS - Date.now()
    const go = () => {
      this.answerTimer = undefined
      this.lastAnswer = Date.now()
      this.announce('heartbeat', false)
    }
    if (wait <= 0) go()
    else this.answerTimer = setTimeout(go, wait)
  }

  private byeMessage(): ByeMessage {
    return { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'bye', from: this.id }
  }

  /** Synchronous (pagehide gives no time to sign): with a key, the bye was signed up front. */
  private postBye(): void {
    try {
      if (!this.keyed) broadcast(this.bc, this.byeMessage())
      else if (this.signedBye) broadcast(this.bc, this.signedBye)
    } catch {
      // closed channel
    }
  }

  // ---------------------------------------------------------------- inbound

  private receive(data: unknown): void {
    if (this.closed) return
    const parsed = parseWire(data)
    if (!parsed.ok) {
      // The channel is ours alone: anything on it that is not a message of ours is malformed.
      this.issue('malformed', parsed.reason)
      return
    }
    const msg = parsed.msg
    if (msg.kind === 'signed') {
      if (!this.keyed) {
        this.issue('malformed', 'signed message, but this bridge has no key to check it (pass the same key)')
        return
      }
      const opened = this.signerReady.then((s) => s!.open(msg))
      this.ordered.push(
        opened,
        (r) => {
          if (this.closed) return
          if (r.ok) this.handle(r.msg)
          else if ('forged' in r && r.forged) this.issue('forged', r.reason)
          else this.issue('malformed', r.reason)
        },
        (err) => this.issue('forged', `signature check failed: ${describeError(err)}`),
      )
      return
    }
    if (this.keyed) {
      this.issue('unsigned', `unsigned ${msg.kind} message from ${msg.from}`)
      return
    }
    this.handle(msg)
  }

  private handle(msg: InnerMessage): void {
    const now = Date.now()
    switch (msg.kind) {
      case 'hello':
      case 'heartbeat':
        if (msg.origin === this.host.origin) return
        if (this.tracker.contradicts(msg.from)) this.issue('contradicted', `${msg.from} answered after a bye in its name: it stays`)
        this.tracker.seen(msg.from, msg.origin, msg.incarnation, msg.name, now)
        this.link.peerServes(msg.from, msg.origin, msg.replies)
        // A newcomer wants to know who is here: answer without asking back (no ping-pong).
        if (msg.ask) this.answer()
        return
      case 'bye':
        // Probe before dropping: a live peer answers at once; a gone one stays silent.
        if (this.tracker.bye(msg.from, now)) {
          this.announce('heartbeat', true)
          setTimeout(() => {
            if (!this.closed) this.tracker.expire(Date.now())
          }, this.graceMs + 20)
        }
        return
      case 'request':
      case 'reply': {
        const bad = this.link.receive(msg.kind, msg as unknown as Record<string, unknown>)
        if (bad !== undefined) this.issue('malformed', bad)
        return
      }
      case 'batch':
        this.tracker.touch(msg.from, now)
        this.counters.batchesReceived++
        ingestBatch(this.inbound, msg.batch, msg.from)
        if (this.host.closed) void this.close()
        return
    }
  }

  private issue(kind: TabsIssue['kind'], reason: string, n = 1): void {
    this.issues.issue(kind, reason, n)
  }
}
