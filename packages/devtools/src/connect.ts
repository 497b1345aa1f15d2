// The page agent. Until the extension's content script says hello it only listens for window
// messages (no bus.inspect, no timers), so shipping it costs ~nothing. During a session it turns
// bus.inspect() events into redacted, sampled wire items and posts them in batches.
import type { Bus, EventMapOf, InspectionEvent, TidingsEvent } from '@tidings/core'
import { DevtoolsOptionsError } from './errors.js'
import {
  type AgentInfo,
  type Command,
  type ContextSeen,
  type FromAgentMsg,
  type WireError,
  type WireItem,
  PROTOCOL_VERSION,
  SOURCE,
  isTagged,
  msg,
  parseToAgent,
} from './protocol.js'
import { Sampler } from './sampler.js'
import { REDACTED, type Redactor, compileRedactor, sanitize } from './sanitize.js'

export interface DevtoolsOptions {
  /** Shown in the panel. Default: the bus name. */
  name?: string
  /** Data/metadata fields that never leave the page: `'password'` (that key at any depth),
   *  `'card.number'` (a path from the root; `*` matches any key), or a function returning the
   *  data to show instead (its result is sanitized too). */
  redact?: readonly string[] | ((event: TidingsEvent) => unknown)
  /** Publishes streamed per second; above it the agent samples and reports how many it skipped.
   *  Default 2000. */
  maxEventsPerSecond?: number
  /** How often batches are posted, ms. Default 100. */
  batchMs?: number
  /** How often a subscriptions snapshot is posted, ms. Default 1000. */
  snapshotMs?: number
  /** Streamed events kept (unredacted, in the page only) so the panel can replay them. Default 500. */
  replayBuffer?: number
  /** Window to talk over. Default: globalThis (the page). */
  target?: DevtoolsTarget
}

/** The part of Window the agent uses. */
export interface DevtoolsTarget {
  postMessage(message: unknown, targetOrigin: string): void
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void
  removeEventListener(type: 'message', listener: (e: MessageEvent) => void): void
}

export interface DevtoolsAgentStats {
  /** Sessions started by a hello. */
  sessions: number
  batches: number
  items: number
  skipped: number
  commands: number
  /** Time spent building and posting batches and snapshots (ms), i.e. the agent's timer work;
   *  its per-event work runs inside bus.publish(). */
  flushMs: number
  /** Tagged window messages that failed validation or carried a stale/foreign nonce. */
  ignored: number
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
  items: WireItem[]
  inspection: { unsubscribe(): void }
  flushTimer: ReturnType<typeof setInterval>
  snapshotTimer: ReturnType<typeof setInterval>
  sampler: Sampler
}

const MAX_CONTEXTS = 500
const FLUSH_AT = 1000

export function connectDevtools<M extends EventMapOf<M>>(bus: Bus<M>, options: DevtoolsOptions = {}): DevtoolsConnection {
  const name = options.name ?? bus.name
  const maxEventsPerSecond = positiveInt('maxEventsPerSecond', options.maxEventsPerSecond, 2000)
  const batchMs = positiveInt('batchMs', options.batchMs, 100)
  const snapshotMs = positiveInt('snapshotMs', options.snapshotMs, 1000)
  const replaySize = positiveInt('replayBuffer', options.replayBuffer, 500, true)
  if (typeof name !== 'string' || name.length === 0) throw new DevtoolsOptionsError('name', name, 'must be a non-empty string')
  const redactOpt = options.redact
  let redactor: Redactor | undefined
  let redactFn: ((e: TidingsEvent) => unknown) | undefined
  if (typeof redactOpt === 'function') redactFn = redactOpt
  else if (redactOpt !== undefined) {
    if (!Array.isArray(redactOpt) || !redactOpt.every((r) => typeof r === 'string' && r.length > 0))
      throw new DevtoolsOptionsError('redact', redactOpt, 'must be an array of field paths or a function')
    redactor = compileRedactor(redactOpt)
  }
  const target: DevtoolsTarget | undefined = options.target ?? (globalThis as unknown as DevtoolsTarget)
  if (typeof target?.postMessage !== 'function' || typeof target.addEventListener !== 'function') {
    // Not in a window (a worker, SSR): nothing to talk to; the bridges carry worker events to the page.
    return { connected: false, paused: false, stats: () => emptyStats(), disconnect() {} }
  }

  const stats = emptyStats()
  let session: Session | undefined
  let paused = false
  let listening = true
  const replay = new Map<string, TidingsEvent>()
  const contexts = new Map<string, ContextSeen>()

  const post = (m: FromAgentMsg) => {
    try {
      target.postMessage(m, '*')
    } catch {
      // A value the sanitizer let through failed to clone: drop this message, never throw into the app.
      stats.ignored++
    }
  }

  const wireEvent = (event: TidingsEvent): TidingsEvent => {
    const data = redactFn ? sanitize(safeCall(redactFn, event), undefined) : sanitize(event.data, redactor)
    const out: TidingsEvent = { ...event, data }
    if (event.metadata !== undefined) out.metadata = sanitize(event.metadata, redactor) as Record<string, unknown>
    if (event.source !== undefined) out.source = { ...event.source }
    return out
  }

  const seeContext = (event: TidingsEvent, via: string | undefined, at: number) => {
    let c = contexts.get(event.origin)
    if (!c) {
      if (contexts.size >= MAX_CONTEXTS) {
        const oldest = contexts.keys().next().value
        if (oldest !== undefined) contexts.delete(oldest)
      }
      c = { origin: event.origin, events: 0, lastAt: at, self: event.origin === bus.origin }
      if (via !== undefined) c.via = via
      contexts.set(event.origin, c)
    }
    c.events++
    c.lastAt = at
  }

  const onInspect = (e: InspectionEvent) => {
    const s = session
    if (!s) return
    if (e.kind === 'publish') {
      const via = bus.bridgedBy(e.event)
      seeContext(e.event, via, e.at)
      if (paused) {
        s.sampler.skipped++
        return
      }
      if (!s.sampler.takePublish(e.at, e.event.seq)) return
      if (replaySize > 0) {
        replay.set(e.event.id, e.event)
        if (replay.size > replaySize) replay.delete(replay.keys().next().value as string)
      }
      const ctx = via === undefined ? { origin: e.event.origin } : { origin: e.event.origin, via }
      s.items.push({ kind: 'publish', at: e.at, event: wireEvent(e.event), ctx, receipt: { ...e.receipt } })
    } else if (paused) {
      if (e.kind !== 'subscribe' && e.kind !== 'unsubscribe') {
        s.sampler.skipped++
        return
      }
    }
    switch (e.kind) {
      case 'publish':
        break
      case 'deliver':
        if (s.sampler.takeFollower(e.at, e.event.seq))
          s.items.push({ kind: 'deliver', at: e.at, eventId: e.event.id, sub: e.subscriptionId, ms: e.durationMs, attempt: e.attempt })
        break
      case 'bridge':
        if (s.sampler.takeFollower(e.at, e.event.seq))
          s.items.push({ kind: 'bridge', at: e.at, eventId: e.event.id, type: e.event.type, origin: e.event.origin, bridge: e.bridge, direction: e.direction })
        break
      case 'drop':
      case 'reject':
        if (s.sampler.takeImportant(e.at))
          s.items.push({ kind: e.kind, at: e.at, eventId: e.event.id, type: e.event.type, sub: e.subscriptionId, reason: e.reason })
        break
      case 'error':
        if (s.sampler.takeImportant(e.at))
          s.items.push({
            kind: 'error',
            at: e.at,
            eventId: e.event.id,
            type: e.event.type,
            sub: e.subscriptionId,
            error: wireError(e.error),
            attempt: e.attempt,
            final: e.final,
          })
        break
      case 'subscribe':
        s.items.push({ kind: 'subscribe', at: e.at, subscription: plainSubscription(e.subscription) })
        break
      case 'unsubscribe':
        s.items.push({ kind: 'unsubscribe', at: e.at, sub: e.subscriptionId })
        break
    }
    if (s.items.length >= FLUSH_AT) flush()
  }

  const flush = () => {
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
    if (s.items.length === 0 && skipped === 0) return
    const items = s.items
    s.items = []
    stats.batches++
    stats.items += items.length
    stats.skipped += skipped
    let text: string
    try {
      text = JSON.stringify(items)
    } catch {
      // sanitize() output is JSON-safe; this is only a guard against a hostile toJSON
      stats.ignored++
      return
    }
    post(msg({ type: 'batch', nonce: s.nonce, at: Date.now(), items: text, skipped }))
  }

  const snapshot = () => {
    const s = session
    if (!s) return
    const t0 = performance.now()
    post(
      msg({
        type: 'snapshot',
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
    name,
    bus: bus.name,
    origin: bus.origin,
    url: typeof location === 'undefined' ? '' : location.href,
    protocol: PROTOCOL_VERSION,
    maxEventsPerSecond,
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
      items: [],
      inspection: { unsubscribe() {} },
      flushTimer: setInterval(flush, batchMs),
      snapshotTimer: setInterval(snapshot, snapshotMs),
      sampler: new Sampler(maxEventsPerSecond),
    }
    session = s
    post(msg({ type: 'ready', nonce, agent: info() }))
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

  const run = (id: string, command: Command) => {
    const s = session
    if (!s) return
    stats.commands++
    const reply = (ok: boolean, extra: { eventId?: string; error?: WireError } = {}) =>
      post(msg({ type: 'result', nonce: s.nonce, id, ok, ...extra }))
    try {
      switch (command.op) {
        case 'publish': {
          const opts: Record<string, unknown> = {
            source: { component: 'tidings-devtools' },
            metadata: { ...command.metadata, publishedBy: 'tidings-devtools' },
          }
          if (command.correlationId !== undefined) opts['correlationId'] = command.correlationId
          if (command.causationId !== undefined) opts['causationId'] = command.causationId
          const receipt = (bus as unknown as Bus).publish(command.type, command.data, opts)
          reply(true, { eventId: receipt.id })
          break
        }
        case 'replay': {
          const original = replay.get(command.eventId) ?? command.event
          if (!original) {
            reply(false, { error: { name: 'ReplayError', message: `Event ${command.eventId} is no longer held by the page; replay needs its envelope.` } })
            break
          }
          if (original === command.event && JSON.stringify(original).includes(JSON.stringify(REDACTED))) {
            // The panel's copy lost its redacted fields; replaying it would publish the placeholders.
            reply(false, {
              error: { name: 'ReplayError', message: `Event ${command.eventId} has redacted fields and the page no longer holds the original (raise replayBuffer).` },
            })
            break
          }
          const input: Record<string, unknown> = {
            type: original.type,
            data: original.data,
            metadata: { ...original.metadata, replayOf: original.id, publishedBy: 'tidings-devtools' },
          }
          if (original.correlationId !== undefined) input['correlationId'] = original.correlationId
          if (original.causationId !== undefined) input['causationId'] = original.causationId
          if (original.source !== undefined) input['source'] = original.source
          const receipt = (bus as unknown as Bus).publish(input as { type: string })
          reply(true, { eventId: receipt.id })
          break
        }
        case 'pause':
        case 'resume':
          paused = command.op === 'pause'
          reply(true)
          snapshot()
          break
        case 'snapshot':
          reply(true)
          snapshot()
          break
      }
    } catch (err) {
      reply(false, { error: wireError(err) })
    }
  }

  const onMessage = (e: MessageEvent) => {
    // Only messages posted to this very window (content scripts post to it; iframes and other
    // windows cannot pass this check).
    if (e.source !== (target as unknown) && options.target === undefined) return
    const data: unknown = e.data
    if (!isTagged(data)) return
    const t = data.type
    if (t !== 'hello' && t !== 'ping' && t !== 'bye' && t !== 'command') return
    const m = parseToAgent(data)
    if (!m) {
      stats.ignored++
      return
    }
    if (m.type === 'hello') {
      startSession(m.nonce, m.leaseMs)
      return
    }
    const s = session
    if (!s || m.nonce !== s.nonce) {
      stats.ignored++
      return
    }
    if (m.type === 'ping') s.leaseUntil = Date.now() + s.leaseMs
    else if (m.type === 'bye') endSession()
    else run(m.id, m.command)
  }

  target.addEventListener('message', onMessage)
  // One tiny message so a content script that said hello before this ran says it again.
  post(msg({ type: 'announce', name }))

  return {
    get connected() {
      return session !== undefined
    },
    get paused() {
      return paused
    },
    stats: () => ({ ...stats }),
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
  return { sessions: 0, batches: 0, items: 0, skipped: 0, commands: 0, flushMs: 0, ignored: 0 }
}

function positiveInt(option: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (allowZero ? 0 : 1))
    throw new DevtoolsOptionsError(option, v, allowZero ? 'must be a non-negative integer' : 'must be a positive integer')
  return v
}

function safeCall(fn: (e: TidingsEvent) => unknown, e: TidingsEvent): unknown {
  try {
    return fn(e)
  } catch {
    // A throwing redact function must not leak the data: show nothing.
    return '[redact function threw]'
  }
}

function wireError(err: unknown): WireError {
  if (err instanceof Error) {
    const out: WireError = { name: err.name, message: err.message.slice(0, 4000) }
    if (err.stack) out.stack = err.stack.slice(0, 16000)
    return out
  }
  return { name: 'Error', message: String(err).slice(0, 4000) }
}

function plainSubscription<T extends { patterns: readonly string[] }>(s: T): T & { patterns: string[] } {
  const out = { ...s, patterns: [...s.patterns] }
  // JSON (the extension's ports) drops undefined fields; do it here so validators see the same shape.
  for (const k of Object.keys(out) as (keyof typeof out)[]) if (out[k] === undefined) delete out[k]
  return out
}

export { SOURCE }
