// The public shapes of the tabs bridge (connectTabs).
import type { TidingsEvent } from '@tidings/core'
import type { Observable } from 'rxjs'
import type { PeerChange, TabPeer } from './peers.js'

export interface TabsOptions {
  /** BroadcastChannel name suffix; tabs only talk on the same channel. Default 'tidings'. */
  channel?: string
  /** Patterns of the event types that leave this tab. Default: none. */
  share?: string | readonly string[]
  /** Shared secret (>= 16 chars) or an HMAC CryptoKey: every message (events, hello, heartbeat,
   *  bye) is signed with HMAC-SHA-256 and unsigned or forged messages are dropped. */
  key?: string | CryptoKey
  /** Applied to each outgoing event: return what to send (e.g. with secrets removed), or
   *  null/undefined to keep the event in this tab. */
  redact?: (event: TidingsEvent) => TidingsEvent | null | undefined
  /** Presence heartbeat period. Default 1000 ms. */
  heartbeatMs?: number
  /** A peer silent this long is probed, and taken as gone if it does not answer within
   *  max(2 heartbeats, 500 ms). Default 5 heartbeats. */
  peerTimeoutMs?: number
  /** How many seqs per session are remembered for deduplication. Default 2048. */
  dedupeWindow?: number
  /** Most events per posted message (a larger microtask batch is split). Default 5000. */
  maxBatch?: number
  /** Most bytes per posted message, estimated without serializing (strings by length, typed
   *  arrays and ArrayBuffers by byteLength, objects by a bounded sampling walk); an event larger
   *  than this goes alone. A burst over it is posted across tasks, about this many bytes per
   *  task, so serializing never blocks the page for long. Default 1048576 (1 MiB). */
  maxBatchBytes?: number
}

export interface TabsStats {
  /** Events posted to other tabs. */
  sent: number
  batchesSent: number
  /** Events received and ingested into the bus. */
  received: number
  batchesReceived: number
  /** Inbound events dropped because their session already delivered that seq. */
  duplicates: number
  /** Inbound events delivered although their session had already delivered a later seq. */
  outOfOrder: number
  /** Holes detected in a session's sequence of shared events (each hole counts once). */
  gaps: number
  /** Seq jumps too large to be plausible (delivered, reported; see the threat model). */
  implausible: number
  /** Messages or events that failed validation (garbage, bad shape, bad envelope). */
  malformed: number
  /** Unsigned messages dropped by a bridge with a key. */
  unsigned: number
  /** Signed messages whose signature did not verify. */
  forged: number
  /** Byes in a live peer's name that the peer contradicted by answering the probe. */
  contradicted: number
  /** Inbound events the bus refused while ingesting (e.g. a full 'reject' queue). */
  rejected: number
  /** Outbound events that could not be sent (not structured-cloneable / encodable, redact threw). */
  unsendable: number
  /** Inbound events that claimed this tab's origin. */
  echoes: number
  /** Inbound events no subscription in this tab receives: skipped without reading their data
   *  (their seqs still count, so a replay is a duplicate and a hole is a gap). */
  unrouted: number
  peers: number
}

export interface TabsIssue {
  kind: 'malformed' | 'unsigned' | 'forged' | 'rejected' | 'unsendable' | 'gap' | 'implausible' | 'contradicted'
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
