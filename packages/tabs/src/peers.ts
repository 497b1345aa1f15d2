// Presence of the other tabs: hello on connect, heartbeats while open, bye on close. A crashed or
// frozen tab sends no bye, so silence counts too; but a hidden tab's timers may run only once a
// minute (Chrome's intensive throttling) while its message handlers still run at once. So a peer
// silent for timeoutMs is first probed (everyone is asked to answer now) and only taken as gone
// if it stays silent for graceMs more. A bye is probed the same way before the peer is dropped:
// without a key anyone on the channel can post a bye in a live peer's name, and a live peer
// answers the probe at once. The table is bounded; when full, the peer heard from longest ago
// makes room, so a flood of made-up hellos cannot keep a real new tab out.
import { BehaviorSubject, Subject, type Observable } from 'rxjs'

export interface TabPeer {
  /** Id of the peer's bridge instance. */
  id: string
  /** Origin id of the peer's bus (the `origin` of the events it publishes). */
  origin: string
  /** Random id of the peer bus's incarnation: a reloaded tab that keeps its origin gets a new one. */
  incarnation: string
  /** Name of the peer's bus. */
  name: string
  joinedAt: number
  lastSeen: number
}

export type PeerChange =
  | { kind: 'join'; peer: TabPeer }
  | { kind: 'leave'; peer: TabPeer; reason: 'bye' | 'timeout' | 'closed' | 'evicted' }

export class PeerTracker {
  readonly #peers = new Map<string, TabPeer>()
  /** Peers probed because they went quiet or said bye: id -> when, and why. */
  readonly #suspects = new Map<string, { at: number; bye: boolean }>()
  readonly #list = new BehaviorSubject<readonly TabPeer[]>([])
  readonly #changes = new Subject<PeerChange>()
  readonly peers$: Observable<readonly TabPeer[]> = this.#list.asObservable()
  readonly changes$: Observable<PeerChange> = this.#changes.asObservable()

  readonly #timeoutMs: number
  readonly #graceMs: number
  readonly #maxPeers
  constructor(
    timeoutMs: number,
    graceMs: number,
    maxPeers = 1024,
  ) {
    this.#timeoutMs = timeoutMs
    this.#graceMs = graceMs
    this.#maxPeers = maxPeers
  }

  /** A hello or heartbeat arrived. Returns true when the peer is new. */
  seen(id: string, origin: string, incarnation: string, name: string, now: number): boolean {
    const known = this.#peers.get(id)
    if (known) {
      known.lastSeen = now
      this.#suspects.delete(id)
      return false
    }
    // Bounded: a flood of made-up peer ids must not grow memory without end, nor keep a real
    // newcomer out. The peer heard from longest ago makes room.
    if (this.#peers.size >= this.#maxPeers) this.#evictStalest()
    const peer: TabPeer = { id, origin, incarnation, name, joinedAt: now, lastSeen: now }
    this.#peers.set(id, peer)
    this.#publish()
    this.#changes.next({ kind: 'join', peer: { ...peer } })
    return true
  }

  /** Any message from a known peer keeps it alive. */
  touch(id: string, now: number): boolean {
    const known = this.#peers.get(id)
    if (known) {
      known.lastSeen = now
      this.#suspects.delete(id)
    }
    return known !== undefined
  }

  /** True (and the bye forgotten) when `id` had a bye pending: the peer answered, so it stays. */
  contradicts(id: string): boolean {
    const suspect = this.#suspects.get(id)
    if (!suspect?.bye) return false
    this.#suspects.delete(id)
    return true
  }

  /** A bye in `id`'s name: probe it; it leaves after graceMs unless it answers. Returns false
   *  when `id` is not a known peer. */
  bye(id: string, now: number): boolean {
    if (!this.#peers.has(id)) return false
    this.#suspects.set(id, { at: now, bye: true })
    return true
  }

  leave(id: string, reason: 'bye' | 'timeout' | 'closed' | 'evicted'): void {
    const peer = this.#peers.get(id)
    if (!peer) return
    this.#peers.delete(id)
    this.#suspects.delete(id)
    this.#publish()
    this.#changes.next({ kind: 'leave', peer: { ...peer }, reason })
  }

  /** Drops peers silent past their probe's grace (and byes nobody contradicted); returns true
   *  when a new peer needs a probe. */
  expire(now: number): boolean {
    let probe = false
    for (const p of [...this.#peers.values()]) {
      const suspect = this.#suspects.get(p.id)
      if (suspect?.bye) {
        if (now - suspect.at >= this.#graceMs) this.leave(p.id, 'bye')
        continue
      }
      if (now - p.lastSeen <= this.#timeoutMs) continue
      if (suspect === undefined) {
        this.#suspects.set(p.id, { at: now, bye: false })
        probe = true
      } else if (now - suspect.at > this.#graceMs) this.leave(p.id, 'timeout')
    }
    return probe
  }

  #evictStalest(): void {
    let stalest: TabPeer | undefined
    for (const p of this.#peers.values()) if (stalest === undefined || p.lastSeen < stalest.lastSeen) stalest = p
    if (stalest) this.leave(stalest.id, 'evicted')
  }

  current(): TabPeer[] {
    return [...this.#peers.values()].map((p) => ({ ...p }))
  }

  get size(): number {
    return this.#peers.size
  }

  close(): void {
    for (const id of [...this.#peers.keys()]) this.leave(id, 'closed')
    this.#list.complete()
    this.#changes.complete()
  }

  #publish(): void {
    this.#list.next(this.current())
  }
}
