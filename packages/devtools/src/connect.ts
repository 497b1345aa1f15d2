// The page agent. Without the extension it only listens for window messages (no bus.inspect, no
// timers), so shipping it costs ~nothing. When the extension's content script says it is present,
// the agent captures: it keeps the inspection events it samples as they are and turns them into
// redacted, bounded wire items in its timer. publish() pays for a sampling decision and an array
// push, never for reading the payload (docs/devtools.md "What a session costs"). With the panel
// closed those items go to a ring bounded in characters of JSON (recordBytes); when the panel
// says hello they are sent first, marked `recorded`, then the session streams live.
import type { Bus, EventMapOf, InspectionEvent, InspectionKind } from '@tidings/core'
import type { CommandHost, CommandOutcome } from './commands.js'
import { type DevtoolsOptions, parseOptions } from './options.js'
import { type AgentInfo, type FromAgentMsg, type WireItem, type WireState, PROTOCOL_VERSION, msg, parseToAgent, readMessage } from './protocol.js'
import { createReplayBuffer } from './replay-buffer.js'
import { createSampler } from './sampler.js'
import { newReport, sanitize } from './sanitize.js'
import { type Shaping, plainSubscription, toWireItem, wireError } from './to-wire-item.js'

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
  /** Characters of JSON recorded while the panel was closed, held now (see recordBytes). */
  recordedBytes: number
}

export interface DevtoolsConnection {
  /** A content script session is active. */
  readonly connected: boolean
  readonly paused: boolean
  stats(): DevtoolsAgentStats
  /** Stops listening and ends any session. */
  disconnect(): void
}

/** Where @tidings/tabs lists a bus's live sharedStates (a symbol on the bus: no import). */
const STATES = Symbol.for('tidings.sharedStates')
interface StateLike {
  key: string
  get(): unknown
  stamp(): WireState['stamp'] | undefined
}

/** What the agent inspects without per-handler timing: everything but 'deliver', so core neither
 *  times handlers nor builds an inspection per delivery (the receipt on the publish item carries
 *  the counts). With timing, every kind. */
const KINDS: readonly InspectionKind[] = ['publish', 'drop', 'reject', 'error', 'subscribe', 'unsubscribe', 'bridge']

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
  const unread: Shaping = { unread: `[not read: ${readBudgetMs} ms budget spent]` }

  const stats = emptyStats()
  // The session (a panel is open): its nonce, lease and snapshot timer; none while `nonce` is unset.
  let nonce: string | undefined
  let leaseMs = 0
  let leaseUntil = 0
  let snapshotTimer: ReturnType<typeof setInterval> | undefined
  // The capture (recording or in a session): sampled inspection events not yet mapped to wire
  // items (mapped at flush time), and with trace each kept publish's Error, made inside
  // publish(); V8 formats `stack` lazily, so its text is only built at flush time.
  let pending: InspectionEvent[] | undefined
  let stacks = new Map<InspectionEvent, Error>()
  let inspection: { unsubscribe(): void } | undefined
  let captureTimer: ReturnType<typeof setInterval> | undefined
  let sampler = createSampler(o.maxEventsPerSecond)
  /** The extension said it is installed (a `present` message). */
  let present = false
  // Recorded while the panel is closed: one JSON text per item, so the ring evicts item by item.
  let ring: string[] = []
  let ringChars = 0
  let ringSkipped = 0
  let paused = false
  /** Per-handler timing (deliver items): the option, or the panel's toggle for its session. */
  let timing = o.timing
  let listening = true
  /** commands.ts, once the first command asked for it. */
  let commands: Promise<typeof import('./commands.js')> | undefined
  const replay = createReplayBuffer(o.replayBufferBytes, o.replayBuffer)

  const post = (m: FromAgentMsg) => {
    try {
      target.postMessage(m, '*')
    } catch {
      // A value the sanitizer let through failed to clone: drop this message, never throw into the app.
      stats.ignored++
    }
  }

  // Runs inside publish(): decide and keep a reference, nothing more (no clock, no allocation
  // for a skipped event; publish items first: they are nearly all the traffic).
  const onInspect = (e: InspectionEvent) => {
    const p = pending
    if (!p) return
    const k = e.kind
    if (k === 'publish') {
      // (Sampled already: core asked sampler.publish before building this inspection.)
      // Error.stackTraceLimit frames (V8's default 10): the first ~4 are the agent's and core's.
      if (o.trace) stacks.set(e, new Error())
    } else if (k === 'deliver' || k === 'bridge') {
      if (!sampler.follower(e.event.seq)) return
    } else if (k !== 'subscribe' && k !== 'unsubscribe' && !sampler.important()) return
    // (subscription changes are always kept; everything else is sampled, see createSampler)
    p.push(e)
    // Not from inside publish(): the flush reads payloads, which is the work kept out of it.
    // (=== : once per FLUSH_AT items, since a flush empties `pending`.)
    if (p.length === FLUSH_AT) setTimeout(flush, 0)
  }

  const flush = () => {
    const t0 = performance.now()
    try {
      flushNow(t0)
    } finally {
      stats.flushMs += performance.now() - t0
    }
  }

  /** `at`: now (performance.now()), which also advances the sampler's window. */
  const flushNow = (at: number) => {
    if (nonce && Date.now() > leaseUntil) {
      // The content script stopped renewing (extension reloaded, tab navigated in DevTools): stop.
      endSession()
      return
    }
    const raw = pending
    if (!raw) return
    const skipped = sampler.tick(at)
    if (raw.length === 0 && skipped === 0) return
    const traced = stacks
    pending = []
    stacks = new Map()
    const deadline = performance.now() + readBudgetMs
    // One JSON text per item: the ring evicts item by item, and a batch is their join.
    const texts: string[] = []
    for (const e of raw) {
      try {
        let item: WireItem & { stack?: string }
        if (e.kind !== 'publish') item = toWireItem(e, shaping)
        else {
          const over = performance.now() > deadline
          const size = newReport()
          item = toWireItem(e, over ? unread : shaping, bus.bridgedBy(e.event), size)
          const err = traced.get(e)
          if (err) item.stack = String(err.stack).slice(0, 16000)
          if (over) stats.unread++
          else replay.hold(e.event, size)
        }
        texts.push(JSON.stringify(item))
      } catch {
        // toWireItem guards every read of user data and its output is JSON-safe; this only keeps
        // one unforeseen failure from losing the whole batch (or throwing in the page's timer)
        stats.ignored++
      }
    }
    stats.skipped += skipped
    if (nonce) return send(texts, skipped)
    ringSkipped += skipped
    for (const t of texts) {
      ring.push(t)
      ringChars += t.length
    }
    // One splice per flush, not a shift per item: V8's shift copies the whole array once it
    // outgrows regular heap objects (~30k items), which at 8k evictions/s would cost 100s of ms/s.
    let k = 0
    while (ringChars > o.recordBytes) ringChars -= ring[k++]!.length
    ring.splice(0, k)
  }

  /** Posts items (JSON texts) in batches the panel accepts; an empty batch is still posted when
   *  it carries a skipped count. */
  const send = (texts: string[], skipped: number, recorded?: true) => {
    // (recorded: undefined on live batches; a port's JSON drops it, the validators accept it)
    for (let i = 0; i < texts.length || i === 0; i += FLUSH_AT) {
      const chunk = texts.slice(i, i + FLUSH_AT)
      stats.batches++
      stats.items += chunk.length
      post(msg({ kind: 'batch', nonce: nonce!, at: Date.now(), items: `[${chunk.join(',')}]`, skipped: i ? 0 : skipped, recorded }))
    }
  }

  const snapshot = () => {
    if (nonce)
      post(
        msg({
          kind: 'snapshot',
          nonce,
          at: Date.now(),
          subscriptions: bus.subscriptions().map(plainSubscription),
          stats: { ...bus.stats() },
          paused,
          timing,
          ...states(),
        }),
      )
  }

  /** What a panel command may use (commands.ts). */
  const host: CommandHost = {
    bus: plainBus,
    replay,
    set: (c) => (c.op === 'timing' ? inspect((timing = c.on)) : sampler.pause((paused = c.op === 'pause'))),
    flush,
    snapshot,
  }

  const info = (): AgentInfo => ({
    name: o.name,
    bus: bus.name,
    origin: bus.origin,
    url: globalThis.location?.href ?? '',
    protocol: PROTOCOL_VERSION,
    maxEventsPerSecond: o.maxEventsPerSecond,
    paused,
    timing,
  })

  /** Every live sharedState (from @tidings/tabs' registry on the bus), values sanitized like
   *  event data (sanitize never throws; get() and stamp() are the state's own plain reads).
   *  Capped: the panel accepts 10k. */
  const states = (): { states?: WireState[] } => {
    const reg = (bus as unknown as Record<symbol, Set<StateLike> | undefined>)[STATES]
    return reg ? { states: [...reg].slice(0, 5000).map((st) => ({ key: st.key, value: sanitize(st.get(), o.redactor), stamp: st.stamp() })) } : {}
  }

  const startCapture = () => {
    if (pending) return
    pending = []
    captureTimer = setInterval(flush, o.batchMs)
    inspect(timing)
  }

  /** (Re)subscribes to core's inspection stream with the kinds `timing` needs. The sampler
   *  decides on each publish inside publish(), before core builds its inspection: a skipped
   *  publish costs core no inspection object and the agent no call. (A new capture makes a new
   *  sampler and calls this again.) */
  function inspect(all: boolean) {
    if (!pending) return
    inspection?.unsubscribe()
    inspection = bus.inspect(onInspect, { kinds: all ? undefined : KINDS, sample: sampler.publish })
  }

  const stopCapture = () => {
    pending = undefined
    stacks = new Map()
    sampler = createSampler(o.maxEventsPerSecond)
    ring = []
    ringChars = ringSkipped = 0
    inspection?.unsubscribe()
    clearInterval(captureTimer)
    replay.clear()
  }


  const startSession = (n: string, lease: number) => {
    endSession()
    // What is still pending joins the ring, so it is sent (marked recorded) before live items.
    flush()
    stats.sessions++
    nonce = n
    leaseMs = lease
    leaseUntil = Date.now() + lease
    snapshotTimer = setInterval(snapshot, o.snapshotMs)
    post(msg({ kind: 'ready', nonce: n, agent: info() }))
    if (ring.length) send(ring, ringSkipped, true)
    ring = []
    ringChars = ringSkipped = 0
    snapshot()
    startCapture()
  }

  function endSession() {
    if (!nonce) return
    // A pause is the panel's: recording goes on once it closes.
    nonce = undefined
    sampler.pause((paused = false))
    if (timing !== o.timing) inspect((timing = o.timing))
    clearInterval(snapshotTimer)
    if (!present || !o.recordBytes) stopCapture()
  }

  const onMessage = (e: MessageEvent) => {
    // Only messages posted to this very window (content scripts post to it; iframes and other
    // windows cannot pass this check).
    if (e.source !== (target as unknown) && options.target === undefined) return
    const t = readMessage(e.data)
    if (t.status === 'foreign') return
    const k = t.status === 'ok' && t.kind
    if (k === 'present') {
      present = true
      if (o.recordBytes) startCapture()
      return
    }
    // Our own posts (announce, ready, batch...) come back to this listener: not ours to judge.
    if (k && k !== 'hello' && k !== 'ping' && k !== 'bye' && k !== 'command') return
    const m = parseToAgent(e.data)
    if (!m) {
      stats.ignored++
      return
    }
    if (m.kind === 'hello') {
      startSession(m.nonce, m.leaseMs)
      return
    }
    if (!nonce || m.nonce !== nonce) {
      stats.ignored++
      return
    }
    if (m.kind === 'ping') leaseUntil = Date.now() + leaseMs
    else if (m.kind === 'bye') endSession()
    else {
      stats.commands++
      // What a command does (commands.ts) is loaded with import() on the first one: a page that
      // never opens the panel, or only watches, does not ship it up front (the size budget).
      // Commands run in the order they came; one whose session ended meanwhile is dropped.
      const n = nonce
      const answer = (r: CommandOutcome) => post(msg({ kind: 'result', nonce: n, id: m.id, ...r }))
      ;(commands ??= import('./commands.js')).then(
        (c) => nonce === n && c.handleCommand(host, m.command, answer),
        (err: unknown) => {
          // (a chunk that failed to load: the next command tries again)
          commands = undefined
          if (nonce === n) answer({ ok: false, error: wireError(err) })
        },
      )
    }
  }

  target.addEventListener('message', onMessage)
  // One tiny message so a content script that said hello before this ran says it again, and
  // one that is merely installed answers `present`. Until that answer arrives (one message round
  // trip), the agent records provisionally, so events published right after this call are kept.
  post(msg({ kind: 'announce', name: o.name }))
  if (o.recordBytes) {
    startCapture()
    setTimeout(() => present || nonce || stopCapture(), 250)
  }

  return {
    get connected() {
      return nonce !== undefined
    },
    get paused() {
      return paused
    },
    stats: () => ({ ...stats, replayEvents: replay.size, replayBytes: replay.bytes, recordedBytes: ringChars }),
    disconnect() {
      if (!listening) return
      listening = false
      target.removeEventListener('message', onMessage)
      flush()
      endSession()
      stopCapture()
    },
  }
}

function emptyStats(): DevtoolsAgentStats {
  return { sessions: 0, batches: 0, items: 0, skipped: 0, commands: 0, flushMs: 0, ignored: 0, unread: 0, replayEvents: 0, replayBytes: 0, recordedBytes: 0 }
}
