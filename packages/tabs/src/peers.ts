// Presence of the other tabs: hello on connect, heartbeats while open, bye on close. A crashed or
// frozen tab sends no bye, so silence counts too; but a hidden tab's timers may run only once a
// minute (Chrome's intensive throttling) while its message handlers still run at once. So a peer
// silent for timeoutMs is first probed (everyone is asked to answer now) and only taken as gone
// if it stays silent for graceMs more.
import { BehaviorSubject, Subject, type Observable } from 'rxjs'

export interface TabPeer {
  /** Id of the peer's bridge instance. */
  id: string
  /** Origin id of the peer's bus (the `origin` of the events it publishes). */
  origin: string
  /** Name of the peer's bus. */
  name: string
  joinedAt: number
  lastSeen: number
}

export type PeerChange =
  | { kind: 'join'; peer: TabPeer }
  | { kind: 'leave'; peer: TabPeer; reason: 'bye' | 'timeout' | 'closed' }

export class PeerTracker {
  private readonly peers = new Map<string, TabPeer>()
  /** Peers probed because they went quiet: id -> when. */
  private readonly suspects = new Map<string, number>()
  private readonly list = new BehaviorSubject<readonly TabPeer[]>([])
  private readonly changes = new Subject<PeerChange>()
  readonly peers$: Observable<readonly TabPeer[]> = this.list.asObservable()
  readonly changes$: Observable<PeerChange> = this.changes.asObservable()

  private readonly timeoutMs: number
  private readonly graceMs: number
  private readonly maxPeers
  constructor(
    timeoutMs: number,
    graceMs: number,
    maxPeers = 1024,
  ) {
    this.timeoutMs = timeoutMs
    this.graceMs = graceMs
    this.maxPeers = maxPeers
  }

  /** A hello or heartbeat arrived. Returns true when the peer is new. */
  seen(id: string, origin: string, name: string, now: number): boolean {
    const known = this.peers.get(id)
    if (known) {
      known.lastSeen = now
      this.suspects.delete(id)
      return false
    }
    // Bounded: a flood of made-up peer ids must not grow memory without end.
    if (this.peers.size >= this.maxPeers) return false
    const peer: TabPeer = { id, origin, name, joinedAt: now, lastSeen: now }
    this.peers.set(id, peer)
    this.publish()
    this.changes.next({ kind: 'join', peer: { ...peer } })
    return true
  }

  /** Any message from a known peer keeps it alive. */
  touch(id: string, now: number): boolean {
    const known = this.peers.get(id)
    if (known) {
      known.lastSeen = now
      this.suspects.delete(id)
    }
    return known !== undefined
  }

  leave(id: string, reason: 'bye' | 'timeout' | 'closed'): void {
    const peer = this.peers.get(id)
    if (!peer) return
    this.peers.delete(id)
    this.suspects.delete(id)
    this.publish()
    this.changes.next({ kind: 'leave', peer: { ...peer }, reason })
  }

  /** Drops peers silent past their probe's grace; returns true when a new peer needs a probe. */
  expire(now: number): boolean {
    let probe = false
    for (const p of [...this.peers.values()]) {
      if (now - p.lastSeen <= this.timeoutMs) continue
      const probedAt = this.suspects.get(p.id)
      if (probedAt === undefined) {
        this.suspects.set(p.id, now)
        probe = true
      } else if (now - probedAt > this.graceMs) this.leave(p.id, 'timeout')
    }
    return probe
  }

  current(): TabPeer[] {
    return [...this.peers.values()].map((p) => ({ ...p }))
  }

  get size(): number {
    return this.peers.size
  }

  close(): void {
    for (const id of [...this.peers.keys()]) this.leave(id, 'closed')
    this.list.complete()
    this.changes.complete()
  }

  private publish(): void {
    this.list.next(this.current())
  }
}
