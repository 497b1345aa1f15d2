// connectTabs: one bus across the tabs of an origin over BroadcastChannel.
//
// Out: events matching `share` that are not `local` and were not ingested by this bridge are
// collected per microtask and posted as one batch message. In: every message is untrusted; shape,
// envelope (checkEnvelope) and, with a key, the HMAC are checked before anything reaches the bus.
// BroadcastChannel reaches every tab directly, so no tab relays another's events: with any number
// of tabs an event crosses once and cannot loop. Ids seen (sent or received) are remembered in a
// bounded window to drop duplicates, and each origin's seq keeps order and reveals gaps.
import { Subject, type Observable, type Subscription as RxSubscription } from 'rxjs'
import {
  BusClosedError,
  checkEnvelope,
  compilePatterns,
  createOriginId,
  type Bus,
  type EventMapOf,
  type TidingsEvent,
} from '@tidings/core'
import { broadcast } from './broadcast.js'
import { TabsOptionError, TabsUnsupportedError } from './errors.js'
import { Ordered } from './ordered.js'
import { PeerTracker, type PeerChange, type TabPeer } from './peers.js'
import {
  WIRE_TAG,
  WIRE_VERSION,
  parseWire,
  type BatchMessage,
  type ByeMessage,
  type HelloMessage,
  type InnerMessage,
  type SignedMessage,
} from './protocol.js'
import { registerBridge } from './registry.js'
import { SeenIds } from './seen-ids.js'
import { NO_PREV, PrevTracker, SeqTracker } from './seq-tracker.js'
import { decodeEvent, encodeBatch, isCanonicalId } from './batch-codec.js'
import { checkKeyOption } from './hmac.js'
import { createSigner, type Signer } from './signer.js'

/** The name inbound events are ingested under (`bus.bridgedBy(event) === 'tabs'`). */
export const TABS_BRIDGE = 'tabs'

export interface TabsOptions {
  /** BroadcastChannel name suffix; tabs only talk on the same channel. Default 'tidings'. */
  channel?: string
  /** Patterns of the event types that leave this tab. Default: none. */
  share?: string | readonly string[]
  /** Shared secret (>= 16 chars) or an HMAC CryptoKey: batches are signed with HMAC-SHA-256 and
   *  unsigned or forged messages are dropped. Data then crosses as JSON (see README). */
  key?: string | CryptoKey
  /** Applied to each outgoing event: return what to send (e.g. with secrets removed), or
   *  null/undefined to keep the event in this tab. */
  redact?: (event: TidingsEvent) => TidingsEvent | null | undefined
  /** Presence heartbeat period. Default 1000 ms. */
  heartbeatMs?: number
  /** A peer silent this long is probed, and taken as gone if it does not answer within
   *  max(2 heartbeats, 500 ms). Default 5 heartbeats. */
  peerTimeoutMs?: number
  /** How many event ids are remembered for deduplication. Default 20 000. */
  dedupeWindow?: number
  /** Most events per posted message (a larger microtask batch is split). Default 5000. */
  maxBatch?: number
}

export interface TabsStats {
  /** Events posted to other tabs. */
  sent: number
  batchesSent: number
  /** Events received and ingested into the bus. */
  received: number
  batchesReceived: number
  /** Inbound events dropped because their id was already seen (sent or received). */
  duplicates: number
  /** Inbound events dropped because their origin already delivered a later seq. */
  outOfOrder: number
  /** Holes detected in an origin's sequence of shared events (each hole counts once). */
  gaps: number
  /** Messages or events that failed validation (garbage, bad shape, bad envelope). */
  malformed: number
  /** Unsigned messages dropped by a bridge with a key. */
  unsigned: number
  /** Signed messages whose signature did not verify. */
  forged: number
  /** Inbound events the bus refused while ingesting (e.g. a full 'reject' queue). */
  rejected: number
  /** Outbound events that could not be sent (not structured-cloneable / JSON, redact threw). */
  unsendable: number
  /** Own events that came back (another channel object of the same bus). */
  echoes: number
  peers: number
}

export interface TabsIssue {
  kind: 'malformed' | 'unsigned' | 'forged' | 'rejected' | 'unsendable' | 'gap'
  reason: string
}

export interface TabsBridge {
  /** This bridge instance's id (what peers see as TabPeer.id). */
  readonly id: string
  readonly channel: string
  readonly closed: boolean
  /** Resolves when the bridge can sign (immediately without a key); rejects on a bad key. */
  readonly ready: Promise<void>
  stats(): TabsStats
  /** The other tabs currently present (replays the current list to new subscribers). */
  readonly peers$: Observable<readonly TabPeer[]>
  /** Join and leave notifications. */
  readonly peerChanges$: Observable<PeerChange>
  /** Why inbound/outbound things were dropped (for debugging; nothing is ever thrown). */
  readonly issues$: Observable<TabsIssue>
  peers(): TabPeer[]
  /** Resolves when everything published so far has been posted. */
  flush(): Promise<void>
  /** Posts what is pending, says bye and closes the channel. */
  close(): Promise<void>
}

const CHANNEL_PREFIX = 'tidings.tabs:'

export function connectTabs<M extends EventMapOf<M>>(bus: Bus<M>, options: TabsOptions = {}): TabsBridge {
  return new TabsBridgeImpl(bus as unknown as Bus, options)
}

class TabsBridgeImpl implements TabsBridge {
  readonly id = createOriginId('tab')
  readonly channel: string
  closed = false
  readonly ready: Promise<void>

  private readonly bc: BroadcastChannel
  private readonly counters: Omit<TabsStats, 'peers'> = {
    sent: 0,
    batchesSent: 0,
    received: 0,
    batchesReceived: 0,
    duplicates: 0,
    outOfOrder: 0,
    gaps: 0,
    malformed: 0,
    unsigned: 0,
    forged: 0,
    rejected: 0,
    unsendable: 0,
    echoes: 0,
  }
  private readonly seen: SeenIds
  private readonly seq = new SeqTracker()
  private readonly prev = new PrevTracker()
  private readonly tracker: PeerTracker
  private readonly issues = new Subject<TabsIssue>()
  private readonly ordered = new Ordered()
  private readonly maxBatch: number
  private readonly redact: TabsOptions['redact']
  private readonly signerReady: Promise<Signer | undefined>
  private signedBye: SignedMessage | undefined
  private readonly keyed: boolean
  private pending: TidingsEvent[] = []
  /** Highest seq per origin in `pending`, to notice re-entrant publishes (see flushNow). */
  private readonly pendingLast = new Map<string, number>()
  private inverted = false
  private scheduled = false
  private readonly outbound: RxSubscription | undefined
  private readonly timer: ReturnType<typeof setInterval>
  private readonly unregister: () => void
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
  private hiddenByCache = false

  readonly peers$: Observable<readonly TabPeer[]>
  readonly peerChanges$: Observable<PeerChange>
  readonly issues$: Observable<TabsIssue> = this.issues.asObservable()

  private readonly bus: Bus
  constructor(
    bus: Bus,
    options: TabsOptions,
  ) {
    this.bus = bus
    if (typeof bus !== 'object' || bus === null || typeof bus.ingest !== 'function')
      throw new TabsOptionError('bus', bus, 'pass a bus made by createBus() from @tidings/core')
    if (bus.closed) throw new BusClosedError(bus.name, 'connect tabs')
    if (typeof BroadcastChannel !== 'function') throw new TabsUnsupportedError('BroadcastChannel', 'connectTabs()')
    const channel = options.channel ?? 'tidings'
    if (typeof channel !== 'string' || channel.length === 0 || channel.length > 200)
      throw new TabsOptionError('channel', channel, 'use a non-empty string of at most 200 characters')
    this.channel = channel
    const heartbeatMs = positive('heartbeatMs', options.heartbeatMs, 1000)
    const peerTimeoutMs = positive('peerTimeoutMs', options.peerTimeoutMs, heartbeatMs * 5)
    if (peerTimeoutMs <= heartbeatMs)
      throw new TabsOptionError('peerTimeoutMs', peerTimeoutMs, `must be longer than heartbeatMs (${heartbeatMs})`)
    this.maxBatch = positive('maxBatch', options.maxBatch, 5000)
    if (options.redact !== undefined && typeof options.redact !== 'function')
      throw new TabsOptionError('redact', options.redact, 'pass a function (event) => event | null')
    this.redact = options.redact
    const share = options.share ?? []
    // compilePatterns validates every pattern (InvalidTopicError names the bad one).
    compilePatterns(share)
    const key = options.key
    checkKeyOption(key)
    this.keyed = key !== undefined
    this.signerReady = key === undefined ? Promise.resolve(undefined) : createSigner(key)
    this.ready = this.signerReady.then(async (s) => {
      if (s) this.signedBye = await s.sign(this.byeMessage())
    })
    // A rejected `ready` must not surface as an unhandled rejection when nobody awaits it.
    this.ready.catch(() => {})

    this.tracker = new PeerTracker(peerTimeoutMs, Math.max(2 * heartbeatMs, 500))
    this.peers$ = this.tracker.peers$
    this.peerChanges$ = this.tracker.changes$
    this.seen = new SeenIds(positive('dedupeWindow', options.dedupeWindow, 20_000))
    this.unregister = registerBridge(bus, channel)
    this.bc = new BroadcastChannel(CHANNEL_PREFIX + channel)
    this.bc.addEventListener('message', (e: MessageEvent) => {
      // Last line of defence: nothing another tab sends may throw into this page.
      try {
        this.receive(e.data)
      } catch (err) {
        this.issue('malformed', `a message could not be handled: ${String(err)}`)
      }
    })
    this.bc.addEventListener('messageerror', () => this.issue('malformed', 'a message could not be deserialized'))

    const patterns = typeof share === 'string' ? [share] : share
    if (patterns.length > 0) {
      this.outbound = bus.on(patterns).subscribe({
        next: (e) => this.enqueue(e),
        complete: () => void this.close(),
      })
    }
    this.timer = setInterval(() => {
      // A bus shut down without anything shared would otherwise keep announcing itself.
      if (bus.closed) {
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
    if (this.scheduled) this.flushNow()
    await this.ordered.drained()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.unregister()
    this.outbound?.unsubscribe()
    clearInterval(this.timer)
    if (typeof removeEventListener === 'function' && typeof window !== 'undefined') {
      removeEventListener('pagehide', this.onPageHide)
      removeEventListener('pageshow', this.onPageShow)
    }
    if (this.scheduled) this.flushNow()
    await this.ordered.drained()
    this.postBye()
    this.bc.close()
    this.tracker.close()
    this.issues.complete()
  }

  // ---------------------------------------------------------------- outbound

  private enqueue(e: TidingsEvent): void {
    if (this.closed) return
    const bus = this.bus
    if (bus.isLocal(e)) return
    // Never send back what this bridge ingested; events other bridges (a worker) injected go on.
    if (bus.bridgedBy(e) === TABS_BRIDGE) return
    // Own events that come back are dropped by origin; for events of other origins (a worker's),
    // remember what was sent so the same event forwarded by another tab is dropped as stale.
    if (e.origin !== bus.origin) {
      if (isCanonicalId(e)) this.seq.observe(e.origin, e.seq)
      else if (!this.seen.add(e.id)) return
    }
    let out: TidingsEvent = e
    if (this.redact) {
      try {
        const r = this.redact(e)
        if (r === null || r === undefined) return
        out = r
      } catch (err) {
        this.issue('unsendable', `redact threw for ${e.type} (${e.id}): ${String(err)}`)
        return
      }
    }
    this.pending.push(out)
    const last = this.pendingLast.get(out.origin)
    if (last === undefined || out.seq > last) this.pendingLast.set(out.origin, out.seq)
    else this.inverted = true
    bus.noteBridgedOut(e, TABS_BRIDGE)
    // Never flush from inside publish: a handler that publishes re-entrantly must land in the
    // same flush as the event that caused it (see flushNow), so the batch is split later.
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => {
        if (this.scheduled) this.flushNow()
      })
    }
  }

  private flushNow(): void {
    this.scheduled = false
    const events = this.pending
    if (events.length === 0) return
    this.pending = []
    this.pendingLast.clear()
    // A handler that publishes from inside publish gives its event a higher seq but hands it to
    // this bridge first. Receivers order by seq, so put each origin back in seq order.
    if (this.inverted) {
      this.inverted = false
      sortPerOrigin(events)
    }
    for (let start = 0; start < events.length; start += this.maxBatch) {
      const chunk = events.length <= this.maxBatch ? events : events.slice(start, start + this.maxBatch)
      const prev = new Array<number>(chunk.length)
      for (let i = 0; i < chunk.length; i++) prev[i] = this.prev.next(chunk[i]!.origin, chunk[i]!.seq)
      this.sendBatch(chunk, prev)
    }
  }

  private sendBatch(events: TidingsEvent[], prev: number[]): void {
    const msg = encodeBatch(this.id, events, prev)
    if (!this.keyed) this.postBatch(msg, events, prev)
    else this.send(msg)
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
    const signed = this.signerReady.then((s) => s!.sign(msg))
    this.ordered.push(
      signed,
      (m) => this.postSigned(m, msg),
      (err) => {
        const n = msg.kind === 'batch' ? msg.n : 0
        if (n > 0) this.issue('unsendable', `could not sign a batch of ${n}: ${String(err)}`, n)
      },
    )
  }

  private postBatch(msg: BatchMessage, events: TidingsEvent[], prev: number[]): void {
    try {
      broadcast(this.bc, msg)
      this.countSent(msg.n)
    } catch (err) {
      if (this.closed) return
      // One uncloneable event (a function, a DOM node in data) must not sink the whole batch.
      const keep: TidingsEvent[] = []
      const keepPrev: number[] = []
      events.forEach((e, i) => {
        try {
          structuredClone(e)
          keep.push(e)
          keepPrev.push(prev[i]!)
        } catch (cloneErr) {
          this.issue('unsendable', `${e.type} (${e.id}) is not structured-cloneable: ${String(cloneErr)}`)
        }
      })
      if (keep.length === events.length) {
        this.issue('unsendable', `postMessage failed for a batch of ${events.length}: ${String(err)}`, events.length)
        return
      }
      if (keep.length > 0) this.postBatch(encodeBatch(this.id, keep, keepPrev), keep, keepPrev)
    }
  }

  private postSigned(m: SignedMessage, inner: InnerMessage): void {
    try {
      broadcast(this.bc, m)
      if (inner.kind === 'batch') this.countSent(inner.n)
    } catch {
      // Channel already closed (close() raced a late signature): nothing left to tell.
    }
  }

  private countSent(n: number): void {
    this.counters.sent += n
    this.counters.batchesSent++
  }

  private announce(kind: 'hello' | 'heartbeat', ask: boolean): void {
    if (this.closed) return
    const msg: HelloMessage = { t: WIRE_TAG, v: WIRE_VERSION, kind, from: this.id, origin: this.bus.origin, name: this.bus.name }
    if (ask) msg.ask = true
    this.send(msg)
  }

  private byeMessage(): ByeMessage {
    return { t: WIRE_TAG, v: WIRE_VERSION, kind: 'bye', from: this.id }
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
          else if (r.forged) this.issue('forged', r.reason)
          else this.issue('malformed', r.reason)
        },
        (err) => this.issue('forged', `signature check failed: ${String(err)}`),
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
        if (msg.origin === this.bus.origin) return
        this.tracker.seen(msg.from, msg.origin, msg.name, now)
        // A newcomer wants to know who is here: answer without asking back (no ping-pong).
        if (msg.ask) this.announce('heartbeat', false)
        return
      case 'bye':
        this.tracker.leave(msg.from, 'bye')
        return
      case 'batch':
        this.tracker.touch(msg.from, now)
        this.ingestBatch(msg)
        return
    }
  }

  private ingestBatch(msg: BatchMessage): void {
    const c = this.counters
    c.batchesReceived++
    const bus = this.bus
    for (let i = 0; i < msg.n; i++) {
      const decoded = decodeEvent(msg, i)
      const check = decoded.ok ? checkEnvelope(decoded.candidate) : decoded
      const prev = msg.p[i]
      if (!check.ok || typeof prev !== 'number' || !Number.isSafeInteger(prev) || prev < NO_PREV) {
        this.issue('malformed', `event ${i} of a batch from ${msg.from}: ${check.ok ? 'prev must be an integer >= -1' : check.reason}`)
        continue
      }
      const e = check.event
      if (e.origin === bus.origin) {
        c.echoes++
        continue
      }
      // An id made by the bus (`origin:seq`, not even sent) is fully known by its origin's seq,
      // which the seq tracker already remembers: only other ids need the id memory (it saves a
      // Set insert and eviction per event on the hot path).
      const canonical = decoded.ok && decoded.canonical
      if (!canonical && this.seen.has(e.id)) {
        c.duplicates++
        continue
      }
      const verdict = this.seq.check(e.origin, e.seq, prev)
      if (verdict === 'stale') {
        if (canonical) c.duplicates++
        else c.outOfOrder++
        continue
      }
      if (verdict === 'gap') this.issue('gap', `events of ${e.origin} before seq ${e.seq} were lost`)
      if (!canonical) this.seen.add(e.id)
      if (bus.closed) {
        void this.close()
        return
      }
      try {
        bus.ingest(e, TABS_BRIDGE)
        c.received++
      } catch (err) {
        // e.g. QueueFullError from a 'reject' queue: the other subscribers did get it.
        c.received++
        this.issue('rejected', `${e.type} (${e.id}): ${String(err)}`)
      }
    }
  }

  private issue(kind: TabsIssue['kind'], reason: string, n = 1): void {
    switch (kind) {
      case 'malformed':
        this.counters.malformed += n
        break
      case 'unsigned':
        this.counters.unsigned += n
        break
      case 'forged':
        this.counters.forged += n
        break
      case 'rejected':
        this.counters.rejected += n
        break
      case 'unsendable':
        this.counters.unsendable += n
        break
      case 'gap':
        this.counters.gaps += n
        break
    }
    if (this.issues.observed) this.issues.next({ kind, reason })
  }
}

/** Sorts each origin's events by seq, keeping the slots each origin occupies in the batch. */
function sortPerOrigin(events: TidingsEvent[]): void {
  const slots = new Map<string, number[]>()
  events.forEach((e, i) => {
    const list = slots.get(e.origin)
    if (list) list.push(i)
    else slots.set(e.origin, [i])
  })
  for (const idx of slots.values()) {
    const sorted = idx.map((i) => events[i]!).sort((a, b) => a.seq - b.seq)
    idx.forEach((slot, k) => (events[slot] = sorted[k]!))
  }
}

function positive(name: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new TabsOptionError(name, v, 'use a positive number')
  return v
}
