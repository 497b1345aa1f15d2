// bus.request() across contexts, the bus side: which reply patterns other contexts serve (they
// announce them with their presence), and one stand-in responder on the local bus for them.
//
// The stand-in is a reply() subscription on the union of the remote patterns whose filter lets a
// request through only when (1) it is a request (not a plain publish of the type), (2) no
// reply() of this bus serves the type (the local responder answers, alone), and (3) some remote
// context serves it. Otherwise the filter says no, the stand-in is not counted as a responder,
// and request() fails with NoResponderError at once, as on one bus. When it lets a request
// through, exactly one remote context gets it: the one whose origin sorts first (then its link
// id), whichever bridge it is on. So the choice is deterministic for a given set of contexts.
import type { Observable } from 'rxjs'
import type { TidingsEvent } from '../envelope.js'
import { compilePatterns } from '../pattern.js'
import { PendingRequest } from '../request-reply.js'

/** The label of the stand-in subscription (bus.subscriptions() shows it). */
export const REMOTE_RESPONDER_LABEL = 'tidings: remote responders'

/** One bridge's side of the requests it carries (see reply-link.ts). */
export interface RequestCarrier {
  readonly id: string
  /** Whether this bridge may carry a request of this type (its share covers it). */
  accepts(type: string): boolean
  /** Sends the request to `peer`; settles with the answer, or rejects with a typed error. */
  forward(peer: string, event: TidingsEvent, timeoutMs: number, ended: AbortSignal): Promise<unknown>
}

interface Remote {
  carrier: RequestCarrier
  peer: string
  origin: string
  patterns: readonly string[]
  matches: (type: string) => boolean
}

interface SubscriptionChange {
  id: string
  pattern: string | readonly string[]
  kind: string
  label?: string
}

/** What the registry needs of the bus (all members of a bus made by createBus()). */
export interface ReplyBus {
  readonly closed: boolean
  on(patterns: readonly string[]): Observable<TidingsEvent>
  reply(patterns: readonly string[], handler: (e: TidingsEvent) => unknown, opts: { filter: (e: TidingsEvent) => boolean; label: string }): { id: string; unsubscribe(): void }
  subscriptions(): ReadonlyArray<{ id: string; kind: string; patterns: readonly string[]; label?: string }>
  trackerFor(event: TidingsEvent): unknown
}

/** A request (made by bus.request() and still open): bridges carry it only as a request, to
 *  one chosen context, never as a plain event to every peer. */
export function isRequest(bus: { tracking?: number; trackerFor?(event: TidingsEvent): unknown }, event: TidingsEvent): boolean {
  return bus.tracking !== 0 && typeof bus.trackerFor === 'function' && bus.trackerFor(event) instanceof PendingRequest
}

const registries = new WeakMap<object, RemoteReplies>()

/** The registry of `bus`, shared by all its bridges. */
export function remoteReplies(bus: ReplyBus): RemoteReplies {
  let r = registries.get(bus)
  if (r === undefined) registries.set(bus, (r = new RemoteReplies(bus)))
  return r
}

export class RemoteReplies {
  readonly #remotes = new Map<string, Remote>()
  /** This bus's own reply() subscriptions: id -> patterns (kept from the bus's system events). */
  readonly #own = new Map<string, readonly string[]>()
  #ownList: readonly string[] = []
  #ownKey = ''
  #ownMatch: (type: string) => boolean = () => false
  #proxy: { id: string; unsubscribe(): void } | undefined
  #proxyKey = ''
  /** >0 while this bus asks itself a request a remote context sent: never carried on. */
  serving = 0
  readonly #watchers = new Set<(patterns: readonly string[]) => void>()
  #watch: { unsubscribe(): void } | undefined
  readonly #bus: ReplyBus

  constructor(bus: ReplyBus) {
    this.#bus = bus
  }

  /** This bus's own reply patterns (sorted, without the stand-in), as announced to peers. */
  get patterns(): readonly string[] {
    return this.#ownList
  }

  /** Calls `fn` with this bus's reply patterns whenever they change; returns the stop. */
  watchOwn(fn: (patterns: readonly string[]) => void): () => void {
    if (this.#watch === undefined) {
      for (const s of this.#bus.subscriptions()) if (s.kind === 'reply' && s.label !== REMOTE_RESPONDER_LABEL) this.#own.set(s.id, s.patterns)
      this.#recompute()
      // Synchronous: the bus announces a subscription as it is made and after it is gone.
      this.#watch = this.#bus.on(['$tidings.subscription.*']).subscribe((e) => this.#changed(e))
    }
    this.#watchers.add(fn)
    return () => {
      this.#watchers.delete(fn)
      if (this.#watchers.size === 0) {
        this.#watch?.unsubscribe()
        this.#watch = undefined
        this.#own.clear()
      }
    }
  }

  /** Whether a reply() of this bus itself serves `type`. */
  servesLocally(type: string): boolean {
    return this.#ownMatch(type)
  }

  /** Remote context `peer` (over `carrier`) serves `patterns` now (empty: none). */
  announce(carrier: RequestCarrier, peer: string, origin: string, patterns: readonly string[]): void {
    const key = carrier.id + '\u0000' + peer
    const had = this.#remotes.get(key)
    if (patterns.length === 0) {
      if (had === undefined) return
      this.#remotes.delete(key)
    } else {
      if (had !== undefined && had.origin === origin && had.patterns.join('\n') === patterns.join('\n')) return
      this.#remotes.set(key, { carrier, peer, origin, patterns, matches: compilePatterns(patterns) })
    }
    this.#sync()
  }

  /** Forgets everything `carrier` announced (its bridge closed). */
  forget(carrier: RequestCarrier): void {
    for (const [k, r] of this.#remotes) if (r.carrier === carrier) this.#remotes.delete(k)
    this.#sync()
  }

  /** The remote context that answers a request of `type`, if any (see the header). */
  pick(type: string): Remote | undefined {
    let best: Remote | undefined
    for (const r of this.#remotes.values()) {
      if (!r.matches(type) || !r.carrier.accepts(type)) continue
      if (best === undefined || r.origin < best.origin || (r.origin === best.origin && r.carrier.id + r.peer < best.carrier.id + best.peer)) best = r
    }
    return best
  }

  #changed(e: TidingsEvent): void {
    const c = e.data as SubscriptionChange
    if (c.kind !== 'reply' || c.label === REMOTE_RESPONDER_LABEL) return
    if (e.type.endsWith('.added')) this.#own.set(c.id, typeof c.pattern === 'string' ? [c.pattern] : c.pattern)
    else if (!this.#own.delete(c.id)) return
    this.#recompute()
  }

  #recompute(): void {
    const list = [...new Set([...this.#own.values()].flat())].sort()
    const key = list.join('\n')
    if (key === this.#ownKey) return
    this.#ownList = list
    this.#ownKey = key
    this.#ownMatch = list.length === 0 ? () => false : compilePatterns(list)
    for (const w of this.#watchers) w(list)
  }

  /** Keeps one stand-in subscription on the union of the remote patterns. A request already
   *  handed to an old stand-in still settles through it after it is replaced. */
  #sync(): void {
    const union = [...new Set([...this.#remotes.values()].flatMap((r) => r.patterns))].sort()
    const key = union.join('\n')
    if (key === this.#proxyKey || this.#bus.closed) return
    this.#proxyKey = key
    const old = this.#proxy
    this.#proxy = union.length === 0 ? undefined : this.#bus.reply(union, (e) => this.#carry(e), { filter: (e) => this.#wants(e), label: REMOTE_RESPONDER_LABEL })
    old?.unsubscribe()
  }

  #wants(e: TidingsEvent): boolean {
    return this.serving === 0 && this.#bus.trackerFor(e) instanceof PendingRequest && !this.#ownMatch(e.type) && this.pick(e.type) !== undefined
  }

  #carry(e: TidingsEvent): Promise<unknown> {
    const request = this.#bus.trackerFor(e) as PendingRequest<unknown>
    const r = this.pick(e.type)!
    return r.carrier.forward(r.peer, e, Math.max(1, request.deadline - Date.now()), request.ended)
  }
}
