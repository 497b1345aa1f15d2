// The event bridge: one bus across a page and a worker (or any MessagePort peer). Events whose
// type matches `share` are forwarded as-is (id, origin, seq, correlation kept) in per-microtask
// batches over plain postMessage; the other side validates and re-publishes them with
// bus.ingest(). An event is never sent back over the bridge that brought it in (no echo).
import {
  checkEnvelope,
  compilePatterns,
  toError,
  type Bus,
  type EventMap, type EventMapOf,
  type PublishReceipt,
  type TidingsEvent,
} from '@tidings/core'
import { Subject, type Observable } from 'rxjs'
import { findUncloneable } from './clone-check.js'
import { InvalidWorkerOptionError, InvalidWorkerTargetError, UncloneableDataError } from './errors.js'
import { encodeEvents, isEndpoint, parseMessage, TAG, VERSION, type MessageEndpoint } from './protocol.js'

export interface ConnectWorkerOptions {
  /** Patterns of the event types that cross, both ways (inbound events outside them are
   *  ignored and counted as `unshared`). Default: none. */
  share?: string | readonly string[]
  /** Name the bridge marks ingested events with (bus.bridgedBy). Default `worker`, `worker#2`... */
  name?: string
  /** Send at once when this many events are waiting instead of waiting for the microtask. Default 1024. */
  maxBatch?: number
  /** Events kept while the peer has not said hello yet; older ones are dropped. Default 10000. */
  maxPending?: number
}

export interface WorkerBridgeStats {
  /** Events posted to the peer. */
  sent: number
  /** Events received and re-published locally. */
  received: number
  /** postMessage calls carrying events. */
  batches: number
  /** Inbound messages or envelopes that failed validation (ignored). */
  malformed: number
  /** Inbound events whose type is outside `share` (ignored). */
  unshared: number
  /** Inbound events that originated here (ignored). */
  echoes: number
  /** Outbound events whose data could not be structured-cloned (delivered locally only). */
  uncloneable: number
  /** Outbound events dropped while waiting for the peer (over maxPending). */
  dropped: number
  /** Inbound events the local bus refused (schema, full 'reject' queue...). */
  ingestErrors: number
}

export interface WorkerBridge<M extends EventMapOf<M> = EventMap> {
  readonly name: string
  /** Resolves when the peer's bridge has answered (events sent before are buffered). */
  readonly ready: Promise<void>
  /** The peer bus's origin, once ready. */
  readonly peerOrigin: string | undefined
  readonly closed: boolean
  /** Errors of this bridge: UncloneableDataError for events that could not cross (emitted
   *  synchronously inside the publish that caused it), and errors the local bus raised when
   *  re-publishing inbound events. Never thrown into the app. */
  readonly errors$: Observable<Error>
  /** bus.publish, then throws UncloneableDataError if this bridge could not forward the event
   *  (the event has been delivered locally either way). */
  publish: Bus<M>['publish']
  stats(): WorkerBridgeStats
  /** Sends buffered events now instead of at the end of the microtask. */
  flush(): void
  /** Stops forwarding both ways and tells the peer. Does not terminate the worker. */
  close(): void
}

const bridgeCounts = new WeakMap<object, number>()

/** The bridges of each bus, so one that brings an event in can hand it to the others first. */
interface Hub {
  bridges: Set<Bridge<EventMap>>
  /** Events already handed to every other bridge: their bus observers skip them. */
  forwarded: WeakSet<TidingsEvent>
}
const hubs = new WeakMap<object, Hub>()
function hubOf(bus: object): Hub {
  let hub = hubs.get(bus)
  if (hub === undefined) hubs.set(bus, (hub = { bridges: new Set(), forwarded: new WeakSet() }))
  return hub
}
/** How far back forward() looks to put an event before later ones of its origin. */
const REORDER_WINDOW = 64

/** Connects `bus` to a Worker, a MessagePort (sharedWorker.port, a MessageChannel end) or, inside
 *  a worker, to `self`. Events matching `share` flow both ways. */
export function connectWorker<M extends EventMapOf<M>>(
  bus: Bus<M>,
  target: Worker | MessagePort | MessageEndpoint,
  opts: ConnectWorkerOptions = {},
): WorkerBridge<M> {
  if (!isEndpoint(target)) throw new InvalidWorkerTargetError(target)
  return new Bridge(bus, target, opts)
}

class Bridge<M extends EventMapOf<M>> implements WorkerBridge<M> {
  readonly name: string
  readonly ready: Promise<void>
  peerOrigin: string | undefined
  closed = false

  private readonly counters: WorkerBridgeStats = {
    sent: 0, received: 0, batches: 0, malformed: 0, unshared: 0, echoes: 0, uncloneable: 0, dropped: 0, ingestErrors: 0,
  }
  readonly accepts: (topic: string) => boolean
  private readonly errors = new Subject<Error>()
  readonly errors$ = this.errors.asObservable()
  private readonly maxBatch: number
  private readonly maxPending: number
  private buffer: TidingsEvent[] = []
  private scheduled = false
  private peerReady = false
  private resolveReady!: () => void
  private outbound: { unsubscribe(): void } | undefined
  /** Set while bridge.publish runs, to hand an uncloneable failure back to the caller. */
  private publishing = 0
  private failures: Map<string, UncloneableDataError> | undefined
  private readonly hub: Hub
  private readonly onMessage = (e: MessageEvent) => this.receive(e.data)
  private readonly onPortClose = () => this.shutdown(false)

  private readonly bus: Bus<M>
  private readonly endpoint: MessageEndpoint
  constructor(
    bus: Bus<M>,
    endpoint: MessageEndpoint,
    opts: ConnectWorkerOptions,
  ) {
    this.bus = bus
    this.endpoint = endpoint
    const share = opts.share ?? []
    const patterns = typeof share === 'string' ? [share] : [...share]
    this.accepts = compilePatterns(patterns) // throws InvalidTopicError naming a bad pattern
    this.maxBatch = positive('maxBatch', opts.maxBatch ?? 1024)
    this.maxPending = positive('maxPending', opts.maxPending ?? 10_000)
    const n = (bridgeCounts.get(bus) ?? 0) + 1
    bridgeCounts.set(bus, n)
    this.name = opts.name ?? (n === 1 ? 'worker' : `worker#${n}`)
    this.ready = new Promise((resolve) => (this.resolveReady = resolve))

    endpoint.addEventListener('message', this.onMessage)
    // MessagePort 'close' (newer browsers) says the other end went away: stop like on 'bye'.
    ;(endpoint as unknown as EventTarget).addEventListener('close', this.onPortClose)
    endpoint.start?.()
    this.hub = hubOf(bus)
    this.hub.bridges.add(this as unknown as Bridge<EventMap>)
    // An observable, not a handler subscription, so the bridge never shows up in dispatch
    // results or satisfies requireHandler. It sees an event only after handlers subscribed
    // before it, which may already have reacted by publishing: send() puts the cause back in
    // front of such reactions, and a hub hands inbound events to its siblings first.
    if (patterns.length)
      this.outbound = bus.on(patterns).subscribe({
        next: (e) => this.forward(e as TidingsEvent),
        complete: () => this.shutdown(true), // bus shut down: tell the peer
      })
    this.post({ tag: TAG, v: VERSION, kind: 'hello', origin: bus.origin, ack: false })
  }

  publish = ((...args: Parameters<Bus<M>['publish']>): PublishReceipt => {
    this.publishing++
    let failure: UncloneableDataError | undefined
    let receipt: PublishReceipt
    try {
      receipt = (this.bus.publish as (...a: unknown[]) => PublishReceipt)(...args)
      failure = this.failures?.get(receipt.id)
    } finally {
      if (--this.publishing === 0) this.failures = undefined
    }
    if (failure) throw failure
    return receipt
  }) as Bus<M>['publish']

  stats(): WorkerBridgeStats {
    return { ...this.counters }
  }

  close(): void {
    this.shutdown(true)
  }

  flush(): void {
    this.scheduled = false
    if (!this.peerReady || this.buffer.length === 0 || this.closed) return
    const events = this.buffer
    this.buffer = []
    try {
      this.endpoint.postMessage({ tag: TAG, v: VERSION, kind: 'events', cols: encodeEvents(events) }, [])
    } catch {
      // Only reached when the pre-check missed something (a throwing getter, an exotic object):
      // find the culprits, report them, send the rest.
      this.salvage(events)
      return
    }
    this.counters.sent += events.length
    this.counters.batches++
  }

  // ------------------------------------------------------------------ outbound

  private forward(e: TidingsEvent): void {
    if (this.closed) return
    const bus = this.bus
    if (this.hub.forwarded.has(e)) return // an inbound event another bridge already handed us
    if (bus.bridgedBy(e) === this.name) return // came in over this bridge: no echo
    this.send(e)
  }

  /** Queues one outbound event (called from the bus observer, or by a sibling bridge). */
  send(e: TidingsEvent): void {
    if (this.closed) return
    const bus = this.bus
    if (bus.isLocal(e)) return
    const bad = findUncloneable(e.data, 'data') ?? (e.metadata !== undefined ? findUncloneable(e.metadata, 'metadata') : undefined)
    if (bad !== undefined) {
      this.reject(new UncloneableDataError(e.type, bad.path, bad.kind, e.id))
      return
    }
    bus.noteBridgedOut(e, this.name)
    const buffer = this.buffer
    // A handler subscribed before this bridge that publishes in reaction runs (and reaches us)
    // before we see its cause: same origin, lower seq. Put the cause back before its effects so
    // per-origin order holds on the wire.
    const last = buffer.length - 1
    if (last >= 0 && buffer[last]!.origin === e.origin && buffer[last]!.seq > e.seq) {
      let at = last
      for (let j = last - 1, n = 0; j >= 0 && n < REORDER_WINDOW; j--, n++) {
        const b = buffer[j]!
        if (b.origin !== e.origin) continue
        if (b.seq < e.seq) break
        at = j
      }
      buffer.splice(at, 0, e)
    } else buffer.push(e)
    if (!this.peerReady) {
      if (buffer.length > this.maxPending) {
        buffer.shift()
        this.counters.dropped++
      }
      return
    }
    if (buffer.length >= this.maxBatch) this.flush()
    else if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => this.flush())
    }
  }

  private reject(err: UncloneableDataError): void {
    this.counters.uncloneable++
    if (this.publishing > 0 && err.eventId !== undefined) (this.failures ??= new Map()).set(err.eventId, err)
    this.errors.next(err)
  }

  private salvage(events: TidingsEvent[]): void {
    const ok: TidingsEvent[] = []
    for (const e of events) {
      try {
        structuredClone(e)
        ok.push(e)
      } catch (err) {
        const bad = findUncloneable(e.data, 'data') ?? (e.metadata !== undefined ? findUncloneable(e.metadata, 'metadata') : undefined)
        this.reject(new UncloneableDataError(e.type, bad?.path ?? 'data', bad?.kind ?? toError(err).message, e.id))
      }
    }
    if (ok.length === 0) return
    try {
      this.endpoint.postMessage({ tag: TAG, v: VERSION, kind: 'events', cols: encodeEvents(ok) }, [])
      this.counters.sent += ok.length
      this.counters.batches++
    } catch (err) {
      this.errors.next(toError(err))
    }
  }

  // ------------------------------------------------------------------ inbound

  private receive(data: unknown): void {
    if (this.closed) return
    const msg = parseMessage(data)
    switch (msg.kind) {
      case 'foreign':
        return
      case 'malformed':
        this.counters.malformed++
        return
      case 'hello':
        if (!msg.ack) this.post({ tag: TAG, v: VERSION, kind: 'hello', origin: this.bus.origin, ack: true })
        if (!this.peerReady) {
          this.peerReady = true
          this.peerOrigin = msg.origin
          this.resolveReady()
          this.flush()
        }
        return
      case 'bye':
        this.shutdown(false)
        return
      case 'events':
        this.ingest(msg.events)
    }
  }

  private ingest(events: unknown[]): void {
    const bus = this.bus
    const own = bus.origin
    const c = this.counters
    const hub = this.hub
    for (let i = 0; i < events.length; i++) {
      const check = checkEnvelope(events[i])
      if (!check.ok) {
        c.malformed++
        continue
      }
      const e = check.event
      if (e.origin === own) {
        c.echoes++
        continue
      }
      if (!this.accepts(e.type)) {
        c.unshared++
        continue
      }
      if (bus.closed) {
        this.shutdown(true)
        return
      }
      c.received++ // before ingest: handlers that read stats() count the event they handle
      // Hub: hand the event to this bus's other bridges before local handlers run, so their
      // peers get the cause before any reaction a handler publishes.
      if (hub.bridges.size > 1) {
        for (const b of hub.bridges) if (b !== (this as unknown as Bridge<EventMap>) && b.accepts(e.type)) b.send(e)
        hub.forwarded.add(e)
      }
      try {
        bus.ingest(e, this.name)
      } catch (err) {
        // The local bus refused it (schema, a full 'reject' queue): report, never throw into
        // the message loop.
        c.received--
        c.ingestErrors++
        this.errors.next(toError(err))
      }
    }
  }

  private post(msg: unknown): void {
    try {
      this.endpoint.postMessage(msg, [])
    } catch (err) {
      this.errors.next(toError(err))
    }
  }

  private shutdown(tellPeer: boolean): void {
    if (this.closed) return
    if (tellPeer) this.flush()
    this.closed = true
    this.hub.bridges.delete(this as unknown as Bridge<EventMap>)
    this.outbound?.unsubscribe()
    this.endpoint.removeEventListener('message', this.onMessage)
    ;(this.endpoint as unknown as EventTarget).removeEventListener('close', this.onPortClose)
    if (tellPeer) this.post({ tag: TAG, v: VERSION, kind: 'bye' })
    this.buffer = []
    this.errors.complete()
  }
}

function positive(option: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new InvalidWorkerOptionError(option, v, 'use a positive integer')
  return v
}

/** Throws UncloneableDataError if `data` (or `metadata`) cannot cross to a worker. For code that
 *  wants to check before publishing at all. */
export function assertCloneable(type: string, data: unknown, metadata?: Record<string, unknown>): void {
  const bad = findUncloneable(data, 'data') ?? (metadata !== undefined ? findUncloneable(metadata, 'metadata') : undefined)
  if (bad !== undefined) throw new UncloneableDataError(type, bad.path, bad.kind)
}
