import type { LeaderElection } from '@tidings/tabs'
import type { Observable } from 'rxjs'

/**
 * connecting: opening the first connection (or the new leader's); connected: events flow;
 * reconnecting: the connection dropped, the client retries and outbound events wait (bounded);
 * standby: another tab leads and holds the connection (leader mode); closed: close() was called,
 * the bus shut down, or the bridge gave up connecting (the server refused the credentials, or
 * connection.maxReconnectAttempts was spent; errors$ says why, once).
 */
export type NatsStatus = 'connecting' | 'connected' | 'reconnecting' | 'standby' | 'closed'

/** Where a JetStream consumer starts when this bridge has no sequence of its own to resume from:
 *  only new events, the last event of every subject, everything the stream holds, or everything
 *  since a time (epoch ms or a Date). */
export type NatsReplay = 'new' | 'last-per-subject' | 'all' | { since: number | Date }

export interface NatsJetStreamOptions {
  /** The stream's name. It must exist and its subjects must cover `<subject>.>` (see docs/nats.md). */
  stream: string
  /** Default 'new'. */
  replay?: NatsReplay
}

export interface NatsOptions {
  /** ws:// or wss:// URLs, with their port (`ws://host` means port 80). */
  servers: string | readonly string[]
  /** Patterns of the topics that travel over NATS, both ways. Default: none. */
  share?: string | readonly string[]
  /** The subject prefix: topic `a.b` travels on `<subject>.a.b`. Default 'tidings'. Apps that share
   *  a server use different prefixes, and the server's permissions can be set per prefix. */
  subject?: string
  /** Request types this bus may ask other devices (bus.request() goes over NATS request/reply). */
  requests?: string | readonly string[]
  /** Request types this bus answers for other devices (with its own bus.reply() responders). */
  serve?: string | readonly string[]
  /** Subject prefix of requests. Default `<subject>-rpc` (outside `<subject>.>`, so a stream on
   *  the events never captures a request). */
  requestSubject?: string
  /** Token authentication. */
  token?: string
  /** User and password authentication. */
  user?: string
  pass?: string
  /** Connection options passed to the nats-core client (see NatsConnectionOptions). */
  connection?: NatsConnectionOptions
  /** Only the leader tab holds the connection; the others get events through the tabs bridge
   *  (connectTabs with the same share patterns). true elects with electLeader(`tidings.nats:<subject>`);
   *  pass a LeaderElection to share one. Default: true in a page with Web Locks, false elsewhere. */
  leader?: boolean | LeaderElection
  /** Persistence and replay through JetStream. */
  jetstream?: NatsJetStreamOptions
  /** Outbound events held while not connected. Default 10 000. */
  maxBuffered?: number
  /** What happens when the outbound buffer is full: the bus's drop strategies, every drop counted
   *  in stats().dropped. ('reject' and 'block' would have to fail or hold the publish that fills
   *  it, which a bridge sees only after the fact.) Default 'drop-oldest'. */
  overflow?: 'drop-oldest' | 'drop-newest'
  /** How long publishAsync of a persistent event waits for the JetStream ack, in ms. Default 10 000. */
  ackTimeoutMs?: number
  /** How long a request forwarded over NATS waits for the other device, in ms. Default 5000. */
  requestTimeoutMs?: number
}

/** What a NATS authenticator returns: credentials for the CONNECT message (nkey/JWT included). */
export interface NatsAuth {
  user?: string
  pass?: string
  auth_token?: string
  nkey?: string
  sig?: string
  jwt?: string
}

/** The nats-core client options the bridge passes through (its own types are not part of this
 *  package's API: they do not compile under strict app settings). Times in ms. */
export interface NatsConnectionOptions {
  /** Connection name, shown by the server's monitoring. */
  name?: string
  /** nkey, JWT or custom authentication: called with the server's nonce. */
  authenticator?: (nonce?: string) => NatsAuth
  /** Wait between reconnect attempts. Default 250. */
  reconnectTimeWait?: number
  /** Reconnect attempts per server before giving up (nats.js' meaning), for the first connection
   *  too: it is tried 1 + maxReconnectAttempts times, then the bridge closes with one
   *  NatsConnectionError on errors$. -1 (the default) never gives up. */
  maxReconnectAttempts?: number
  reconnectJitter?: number
  /** How long the first connect waits for the server. */
  timeout?: number
  /** Client pings (a dead connection is noticed after maxPingOut missed ones). */
  pingInterval?: number
  maxPingOut?: number
  /** Prefix of reply subjects (set it to what the user may subscribe to). Default '_INBOX'. */
  inboxPrefix?: string
}

export interface NatsStats {
  /** Events published to NATS. */
  sent: number
  /** Events received and delivered locally. */
  received: number
  /** Of `received`, events that came from a JetStream replay (before the stream's live end). */
  replayed: number
  /** Persistent events the JetStream server acknowledged. */
  acked: number
  /** Persistent events whose publish JetStream did not acknowledge (error or timeout). */
  unacked: number
  /** Received twice (same session and seq) and dropped. */
  duplicates: number
  /** This context's own events coming back (dropped). */
  echoes: number
  /** Messages on our subjects that were not valid events, or whose topic did not match the
   *  subject they came on (hostile or foreign publishers): ignored. */
  malformed: number
  /** Events of a session that were missed (detected by its `prev`): at-most-once losses. */
  gaps: number
  /** Delivered after a later event of the same session. */
  outOfOrder: number
  /** Events whose seq jumped implausibly far (over 2^24) past their session's highest: delivered,
   *  and the session's gap detection restarts from them (a forged or corrupted seq). */
  implausible: number
  /** Delivered to other subscribers but refused by one (schema, full 'reject' queue). */
  rejected: number
  /** Events that could not be encoded (a function, a DOM node, ...): never sent. */
  unsendable: number
  /** Outbound events dropped or refused because the buffer was full while not connected. */
  dropped: number
  /** Outbound events waiting now. */
  buffered: number
  /** Publishes or subscriptions the server refused for lack of permission. */
  denied: number
  /** Times the connection came back after dropping. */
  reconnects: number
  /** Requests forwarded to other devices, and requests of other devices answered here. */
  requestsSent: number
  requestsServed: number
  /** Stream sequence of the last JetStream message received (0: none). */
  lastStreamSeq: number
}

/** Something the bridge noticed: counted in stats(), emitted on errors$. */
export interface NatsIssue {
  kind: 'malformed' | 'denied' | 'unsendable' | 'unacked' | 'gap' | 'rejected' | 'dropped' | 'connection'
  error: Error
}

export interface NatsBridge {
  /** Replays the current status; completes on close(). */
  readonly status$: Observable<NatsStatus>
  readonly status: NatsStatus
  /** Typed errors (NatsPermissionError, NatsMalformedError, ...), never thrown into the app. */
  readonly errors$: Observable<NatsIssue>
  stats(): NatsStats
  /** Resolves once connected (at once if connected); rejects when closed first: with the
   *  NatsConnectionError that made the bridge give up, if it did. */
  whenConnected(): Promise<void>
  /** Sends what is buffered (when connected) and waits for the server to have it. */
  flush(): Promise<void>
  /** Flushes, closes the connection and stops. */
  close(): Promise<void>
}
