// The page agent. Until the extension's content script says hello it only listens for window
// messages (no bus.inspect, no timers), so shipping it costs ~nothing. During a session it keeps
// the inspection events it samples as they are, and turns them into redacted, bounded wire items
// when a batch is posted: publish() pays for a sampling decision and an array push, never for
// reading the payload (docs/devtools.md "What it costs").
import type { Bus, EventMapOf, InspectionEvent } from '@tidings/core'
import { type CommandHost, runCommand } from './commands.js'
import { type DevtoolsOptions, parseOptions } from './options.js'
import { type AgentInfo, type ContextSeen, type FromAgentMsg, type WireItem, PROTOCOL_VERSION, msg, parseToAgent, readMessage } from './protocol.js'
import { ReplayBuffer } from './replay-buffer.js'
import { Sampler } from './sampler.js'
import { newReport } from './sanitize.js'
import { type Shaping, plainSubscription, toWireItem } from './to-wire-item.js'

export type { DevtoolsOptions, DevtoolsTarget } from './options.js'

export interface DevtoolsAgentStats {
  /** Sessions started by a hello. */
  sessions: number
  batches: number
  items: number
  skipped: number
  commands: number
  /** Time spent building and posting batches and snapshots (ms), i.e. the agent's timer work;
   *  reading and redacting event data happens there too. */
  flushMs: number
  /** Tagged window messages that failed validation or carried a stale/foreign nonce. */
  ignored: number
  /** Publish items sent without their data because the batch's read budget was spent. */
  unread: number
  /** Events held for replay, and the bytes charged for them (see replayBufferBytes). */
  replayEvents: number
  replayBytes: number
}

export interface DevtoolsConnection {
  /** A content script session is active. */
  readonly connected: boolean
  readonly paused: boolean
  stats(): DevtoolsAgentStats
  /** Stops listening and ends any session. */
  disconnect(): void
}

interface Session {
  nonce: string
  leaseMs: number
  leaseUntil: number
  /** Sampled inspection events not yet mapped to wire items (mapped at flush time). */
  pending: InspectionEvent[]
  inspection: { unsubscribe(): void }
  flushTimer: ReturnType<typeof setInterval>
  snapshotTimer: ReturnType<typeof setInterval>
  sampler: Sampler
}

const MAX_CONTEXTS = 500
/** Items per batch message (the panel accepts up to LIMITS.maxBatchItems). */
const FLUSH_AT = 1000

export function connectDevtools<M extends EventMapOf<M>>(bus: Bus<M>, options: DevtoolsOptions = {}): DevtoolsConnection {
  const o = parseOptions(options, bus.name)
  const { target } = o
  if (!target) return { connected: false, paused: false, stats: () => emptyStats(), disconnect() {} }
  const plainBus = bus as unknown as Bus

  const shaping: Shaping = { redactor: o.redactor, redactFn: o.redactFn }
  // Reading one event's data is bounded by the sanitizer's caps; a batch's reading is bounded in
  // time too (a 200k-key object still costs V8 one pass over its keys): past the budget, the
  // rest of the batch goes out without data rather than holding the page's main thread.
  const readBudgetMs = Math.max(2, o.batchMs / 10)
  const unread: Shaping = { unread: `[not read: the agent's ${readBudgetMs} ms budget for this batch was spent]` }

  const stats = emptyStats()
  let session: Session | undefined
  let paused = false
  let listening = true
  let flushSoon = false
  const replay = new ReplayBuffer(o.replayBufferBytes, o.replayBuffer)
  const contexts = new Map<string, ContextSeen>()
  const host: CommandHost = { bus: plainBus, replay, setPaused: (p) => (paused = p) }

  const post = (m: FromAgentMsg) => {
    try {
      target.postMessage(m, '*')
    } catch {
      // A value the sanitizer let through failed to clone: drop this message, never throw into the app.
      stats.ignored++
    }
  }

  const seeContext = (e: Extract<InspectionEvent, { kind: 'publish' }>) => {
    const origin = e.event.origin
    let c = contexts.get(origin)
    if (!c) {
      if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value as string)
      c = { origin, events: 0, lastAt: e.at, self: origin === bus.origin }
      // An origin arrives over one bridge, so its first event names it for all.
      const via = bus.bridgedBy(e.event)
      if (via !== undefined) c.via = via
      contexts.set(origin, c)
    }
    c.events++
    c.lastAt = e.at
  }

  // Runs inside publish(): decide and keep a reference, nothing more.
  const onInspect = (e: InspectionEvent) => {
    const s = session
    if (!s) return
    const k = e.kind
    if (k === 'publish') seeContext(e)
    // Subscription changes are always kept; everything else is sampled (see Sampler).
    if (k !== 'subscribe' && k !== 'unsubscribe') {
      const sm = s.sampler
      if (paused) {
        sm.skipped++
        return
      }
      if (!(k === 'publish' ? sm.takePublish(e.at, e.event.seq) : k === 'deliver' || k === 'bridge' ? sm.takeFollower(e.at, e.event.seq) : sm.takeImportant(e.at))) return
    }
    s.pending.push(e)
    if (s.pending.length >= FLUSH_AT && !flushSoon) {
      // Not from inside publish(): the flush reads payloads, which is the work kept out of it.
      flushSoon = true
      setTimeout(flush, 0)
    }
  }

  const flush = () => {
    flushSoon = false
    const t0 = performance.now()
    try {
      flushNow()
    } finally {
      stats.flushMs += performance.now() - t0
    }
  }

  const flushNow = () => {
    const s = session
    if (!s) return
    if (Date.now() > s.leaseUntil) {
      // The content script stopped renewing (extension reloaded, tab navigated in DevTools): stop.
      endSession()
      return
    }
    const skipped = s.sampler.takeSkipped()
    const raw = s.pending
    if (raw.length === 0 && skipped === 0) return
    s.pending = []
    const deadline = performance.now() + readBudgetMs
    const items: WireItem[] = []
    for (const e of raw) {
      try {
        if (e.kind !== 'publish') {
          items.push(toWireItem(e, shaping))
          continue
        }
        const over = performance.now() > deadline
        const size = newReport()
        items.push(toWireItem(e, over ? unread : shaping, bus.bridgedBy(e.event), size))
        if (over) stats.unread++
        else replay.hold(e.event, size)
      } catch {
        // toWireItem guards every read of user data; this only keeps one unforeseen failure
        // from losing the whole batch (and from throwing inside the page's timer)
        stats.ignored++
      }
    }
    stats.skipped += skipped
    // In chunks the panel accepts; an empty batch is still posted when it carries a skipped count.
    for (let i = 0; i < items.length || i === 0; i += FLUSH_AT) {
      const chunk = items.slice(i, i + FLUSH_AT)
      let text: string
      try {
        text = JSON.stringify(chunk)
      } catch {
        // sanitize() output is JSON-safe; this is only a guard against the unforeseen
        stats.ignored++
        continue
      }
      stats.batches++
      stats.items += chunk.length
      post(msg({ kind: 'batch', nonce: s.nonce, at: Date.now(), items: text, skipped: i === 0 ? skipped : 0 }))
    }
  }

  const snapshot = () => {
    const s = session
    if (!s) return
    const t0 = performance.now()
    post(
      msg({
        kind: 'snapshot',
        nonce: s.nonce,
        at: Date.now(),
        subscriptions: bus.subscriptions().map(plainSubscription),
        stats: { ...bus.stats() },
        paused,
        contexts: [...contexts.values()].map((c) => ({ ...c })),
      }),
    )
    stats.flushMs += performance.now() - t0
  }

  const info = (): AgentInfo => ({
    name: o.name,
    bus: bus.name,
    origin: bus.origin,
    url: typeof location === 'undefined' ? '' : location.href,
    protocol: PROTOCOL_VERSION,
    maxEventsPerSecond: o.maxEventsPerSecond,
    paused,
  })

  const startSession = (nonce: string, leaseMs: number) => {
    endSession()
    stats.sessions++
    contexts.clear()
    const s: Session = {
      nonce,
      leaseMs,
      leaseUntil: Date.now() + leaseMs,
      pending: [],
      inspection: { unsubscribe() {} },
      flushTimer: setInterval(flush, o.batchMs),
      snapshotTimer: setInterval(snapshot, o.snapshotMs),
      sampler: new Sampler(o.maxEventsPerSecond),
    }
    session = s
    post(msg({ kind: 'ready', nonce, agent: info() }))
    snapshot()
    s.inspection = bus.inspect(onInspect)
  }

  function endSession() {
    const s = session
    if (!s) return
    session = undefined
    s.inspection.unsubscribe()
    clearInterval(s.flushTimer)
    clearInterval(s.snapshotTimer)
    replay.clear()
  }

  const onMessage = (e: MessageEvent) => {
    // Only messages posted to this very window (content scripts post to it; iframes and other
    // windows cannot pass this check).
    if (e.source !== (target as unknown) && options.target === undefined) return
    const t = readMessage(e.data)
    if (t.status === 'foreign') return
    // Our own posts (announce, ready, batch...) come back to this listener: not ours to judge.
    if (t.status === 'ok' && t.kind !== 'hello' && t.kind !== 'ping' && t.kind !== 'bye' && t.kind !== 'command') return
    const m = parseToAgent(e.data)
    if (!m) {
      stats.ignored++
      return
    }
    if (m.kind === 'hello') {
      startSession(m.nonce, m.leaseMs)
      return
    }
    const s = session
    if (!s || m.nonce !== s.nonce) {
      stats.ignored++
      return
    }
    if (m.kind === 'ping') s.leaseUntil = Date.now() + s.leaseMs
    else if (m.kind === 'bye') endSession()
    else {
      stats.commands++
      // Events still pending are not in the replay buffer yet (it is filled when they are read).
      if (m.command.op === 'replay') flush()
      const r = runCommand(host, m.command)
      post(msg({ kind: 'result', nonce: s.nonce, id: m.id, ...r }))
      const op = m.command.op
      if (op === 'pause' || op === 'resume' || op === 'snapshot') snapshot()
    }
  }

  target.addEventListener('message', onMessage)
  // One tiny message so a content script that said hello before this ran says it again.
  post(msg({ kind: 'announce', name: o.name }))

  return {
    get connected() {
      return session !== undefined
    },
    get paused() {
      return paused
    },
    stats: () => ({ ...stats, replayEvents: replay.size, replayBytes: replay.bytes }),
    disconnect() {
      if (!listening) return
      listening = false
      target.removeEventListener('message', onMessage)
      flush()
      endSession()
    },
  }
}

function emptyStats(): DevtoolsAgentStats {
  return { sessions: 0, batches: 0, items: 0, skipped: 0, commands: 0, flushMs: 0, ignored: 0, unread: 0, replayEvents: 0, replayBytes: 0 }
}
