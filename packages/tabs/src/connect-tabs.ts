// connectTabs: one bus across the tabs of an origin over BroadcastChannel, a thin transport over
// the shared pipe of '@tidings/core/bridge'.
//
// Out: events matching `share` that are not `local` and were not ingested by this bridge go
// through the Outbox (one batch per microtask, each session in seq order). In: every message is
// untrusted; its shape, each envelope and, with a key, the HMAC are checked before anything
// reaches the bus, and ingestBatch drops duplicates per session (origin + incarnation) and
// reports gaps. BroadcastChannel reaches every tab directly, so no tab relays another's events.
// Presence (hello, heartbeat, bye) is in peers.ts; a bye is probed before a peer is dropped. The
// channel itself (plain or signed messages, in order) is tabs-wire.ts.
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
import { TabsUnsupportedError } from './errors.js'
import { PeerTracker, type PeerChange, type TabPeer } from './peers.js'
import { WIRE_TAG, WIRE_VERSION, type BatchMessage, type HelloMessage, type InnerMessage } from './protocol.js'
import { registerBridge } from './registry.js'
import { TabsIssues } from './tabs-issues.js'
import { resolveTabsOptions, unencodable } from './tabs-options.js'
import type { TabsBridge, TabsIssue, TabsOptions, TabsStats } from './tabs-types.js'
import { TabsWire } from './tabs-wire.js'

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
  readonly #issues = new TabsIssues()
  readonly issues$: Observable<TabsIssue> = this.#issues.issues$

  readonly #wire: TabsWire
  readonly #counters = this.#issues.counters
  readonly #host: BridgeHost
  readonly #incarnation: string
  readonly #sessions: SessionTable
  readonly #inbound: InboundPipe
  readonly #outbox: Outbox
  readonly #tracker: PeerTracker
  /** bus.request() across tabs (reply-link.ts in core's bridge layer). */
  readonly #link: ReplyLink
  readonly #graceMs: number
  readonly #redact: TabsOptions['redact']
  #lastAnswer = 0
  #answerTimer: ReturnType<typeof setTimeout> | undefined
  readonly #outbound: RxSubscription | undefined
  readonly #timer: ReturnType<typeof setInterval>
  readonly #unregister: () => void
  #hiddenByCache = false
  readonly #onPageHide = (e: Event): void => {
    // A page kept in the back/forward cache comes back with pageshow: say hello again then.
    this.#wire.postBye()
    if ((e as PageTransitionEvent).persisted) this.#hiddenByCache = true
  }
  readonly #onPageShow = (e: Event): void => {
    if ((e as PageTransitionEvent).persisted || this.#hiddenByCache) {
      this.#hiddenByCache = false
      this.#announce('hello', true)
    }
  }

  constructor(host: BridgeHost, options: TabsOptions) {
    this.#host = host
    if (host.closed) throw new BusClosedError(host.name, 'connect tabs')
    if (typeof BroadcastChannel !== 'function') throw new TabsUnsupportedError('BroadcastChannel', 'connectTabs()')
    const o = resolveTabsOptions(options)
    const { channel, heartbeatMs, peerTimeoutMs, maxBatch, maxBatchBytes, shared, key } = o
    this.channel = channel
    this.#redact = o.redact

    this.#incarnation = incarnationOf(host)
    this.#graceMs = Math.max(2 * heartbeatMs, 500)
    this.#tracker = new PeerTracker(peerTimeoutMs, this.#graceMs)
    this.peers$ = this.#tracker.peers$
    this.peerChanges$ = this.#tracker.changes$
    // One '$tidings.tabs.peer.joined' / '.left' system event per change (nothing is built while
    // nobody subscribes to it); the tracker completes on close.
    this.#tracker.changes$.subscribe((c) =>
      c.kind === 'join'
        ? emitSystemEvent(host, '$tidings.tabs.peer.joined', () => ({ channel, peer: c.peer.id, origin: c.peer.origin }))
        : emitSystemEvent(host, '$tidings.tabs.peer.left', () => ({ channel, peer: c.peer.id, origin: c.peer.origin, reason: c.reason })),
    )
    this.#link = new ReplyLink({
      id: this.id,
      host,
      accepts: shared,
      send: (m) => this.#wire.post({ tag: WIRE_TAG, v: WIRE_VERSION, ...m }, () => {}),
      announce: () => this.#announce('heartbeat', false),
    })
    this.#tracker.changes$.subscribe((c) => c.kind === 'leave' && this.#link.peerGone(c.peer.id, `the tab left (${c.reason})`))
    this.#sessions = new SessionTable({ window: o.dedupeWindow })
    this.#inbound = {
      host,
      bridge: TABS_BRIDGE,
      sessions: this.#sessions,
      issue: (kind, reason) => this.#issues.inbound(kind, reason),
      forward: () => void this.#counters.received++,
      // A tab that does nothing with an event type never reads its payload (it relays nothing).
      // Its own outbound observer is a route of every shared type, but never takes an ingested
      // event (see enqueue), so it does not count.
      skipUnrouted: true,
      ownRoutes: (type) => (shared(type) ? 1 : 0),
    }
    this.#outbox = new Outbox({
      maxBatch,
      maxBatchBytes,
      post: (batch, events) => this.#postBatch(batch, events.length),
      unsendable: (e, reason) => {
        const what = `${e.type} (${e.id}) cannot be sent: `
        if (key !== undefined) return this.#issue('unsendable', what + reason)
        // Without a key the reason is the browser's DataCloneError, which does not say where the
        // value sits: unsendable-path.ts (loaded on the first one) names it. Counted at once.
        const named = import('./unsendable-path.js').then(({ uncloneablePath }) => uncloneablePath(e), () => undefined)
        this.#issues.issueLater('unsendable', named.then((path) => what + (path ?? reason)))
      },
      // With a key, events travel as encoded text: name what the encoding refuses, by path.
      check: key !== undefined ? unencodable : undefined,
    })
    this.#unregister = registerBridge(host, channel)
    this.#wire = new TabsWire({
      name: CHANNEL_PREFIX + channel,
      from: this.id,
      key,
      handle: (msg) => this.#handle(msg),
      issue: (kind, reason, n) => this.#issue(kind, reason, n),
      open: () => !this.closed,
    })
    this.ready = this.#wire.ready

    const patterns = o.share
    if (patterns.length > 0) {
      this.#outbound = host.on(patterns).subscribe({ next: (e) => this.#enqueue(e), complete: () => void this.close() })
    }
    this.#timer = setInterval(() => {
      // A bus shut down without anything shared would otherwise keep announcing itself.
      if (host.closed) {
        void this.close()
        return
      }
      // A quiet peer may be a hidden tab whose timers are throttled: ask everyone to answer now.
      this.#announce('heartbeat', this.#tracker.expire(Date.now()))
    }, heartbeatMs)
    if (typeof addEventListener === 'function' && typeof window !== 'undefined') {
      addEventListener('pagehide', this.#onPageHide)
      addEventListener('pageshow', this.#onPageShow)
    }
    this.#announce('hello', true)
  }

  stats(): TabsStats {
    return { ...this.#counters, peers: this.#tracker.size }
  }

  peers(): TabPeer[] {
    return this.#tracker.current()
  }

  async flush(): Promise<void> {
    this.#outbox.flush(true)
    await this.#wire.drained()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.#unregister()
    this.#outbound?.unsubscribe()
    clearInterval(this.#timer)
    if (this.#answerTimer !== undefined) clearTimeout(this.#answerTimer)
    if (typeof removeEventListener === 'function' && typeof window !== 'undefined') {
      removeEventListener('pagehide', this.#onPageHide)
      removeEventListener('pageshow', this.#onPageShow)
    }
    this.#link.close('the tab closed')
    this.closed = false // let the last batch out
    this.#outbox.flush(true)
    this.closed = true
    await this.#wire.drained()
    this.#wire.postBye()
    this.#wire.close()
    this.#tracker.close()
    this.#issues.complete()
  }

  // ---------------------------------------------------------------- outbound

  #enqueue(e: TidingsEvent): void {
    if (this.closed) return
    const host = this.#host
    if (host.isLocal(e) || isRequest(host, e)) return // a request crosses to one tab only, as a request
    // Never send back what this bridge ingested; events other bridges (a worker) injected go on.
    if (host.bridgedBy(e) === TABS_BRIDGE) return
    const inc = incarnationOfEvent(host, e)
    // Another origin's event (a worker's) that this tab forwards: remember it, so the same event
    // forwarded by another tab is a duplicate here.
    if (e.origin !== host.origin) this.#sessions.observe(e.origin, inc, e.seq)
    let out: TidingsEvent = e
    if (this.#redact) {
      try {
        const r = this.#redact(e)
        if (r === null || r === undefined) return
        out = r
      } catch (err) {
        this.#issue('unsendable', `redact threw for ${e.type} (${e.id}): ${describeError(err)}`)
        return
      }
    }
    host.noteBridgedOut(e, TABS_BRIDGE)
    this.#outbox.push(out, inc)
  }

  /** Posts one batch; throws (so the Outbox splits it) when it cannot be sent. */
  #postBatch(batch: EventBatch, n: number): void {
    if (this.closed) return
    const msg: BatchMessage = { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'batch', from: this.id, batch }
    this.#wire.post(msg, () => {
      this.#counters.sent += n
      this.#counters.batchesSent++
    })
  }

  #announce(kind: 'hello' | 'heartbeat', ask: boolean): void {
    if (this.closed) return
    const msg: HelloMessage = { tag: WIRE_TAG, v: WIRE_VERSION, kind, from: this.id, origin: this.#host.origin, incarnation: this.#incarnation, name: this.#host.name }
    if (ask) msg.ask = true
    if (this.#link.patterns.length > 0) msg.replies = this.#link.patterns
    this.#wire.send(msg)
  }

  /** Tells a newcomer (or a prober) who is here, at most once per ANSWER_INTERVAL_MS. */
  #answer(): void {
    if (this.#answerTimer !== undefined) return
    const wait = this.#lastAnswer + ANSWER_INTERVAL_MS - Date.now()
    const go = () => {
      this.#answerTimer = undefined
      this.#lastAnswer = Date.now()
      this.#announce('heartbeat', false)
    }
    if (wait <= 0) go()
    else this.#answerTimer = setTimeout(go, wait)
  }

  // ---------------------------------------------------------------- inbound

  #handle(msg: InnerMessage): void {
    const now = Date.now()
    switch (msg.kind) {
      case 'hello':
      case 'heartbeat':
        if (msg.origin === this.#host.origin) return
        if (this.#tracker.contradicts(msg.from)) this.#issue('contradicted', `${msg.from} answered after a bye in its name: it stays`)
        this.#tracker.seen(msg.from, msg.origin, msg.incarnation, msg.name, now)
        this.#link.peerServes(msg.from, msg.origin, msg.replies)
        // A newcomer wants to know who is here: answer without asking back (no ping-pong).
        if (msg.ask) this.#answer()
        return
      case 'bye':
        // Probe before dropping: a live peer answers at once; a gone one stays silent.
        if (this.#tracker.bye(msg.from, now)) {
          this.#announce('heartbeat', true)
          setTimeout(() => {
            if (!this.closed) this.#tracker.expire(Date.now())
          }, this.#graceMs + 20)
        }
        return
      case 'request':
      case 'reply': {
        const bad = this.#link.receive(msg.kind, msg as unknown as Record<string, unknown>)
        if (bad !== undefined) this.#issue('malformed', bad)
        return
      }
      case 'batch':
        this.#tracker.touch(msg.from, now)
        this.#counters.batchesReceived++
        ingestBatch(this.#inbound, msg.batch, msg.from)
        if (this.#host.closed) void this.close()
        return
    }
  }

  #issue(kind: TabsIssue['kind'], reason: string, n = 1): void {
    this.#issues.issue(kind, reason, n)
  }
}
