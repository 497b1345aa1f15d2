// The DevTools wire protocol: the ONE module every context (page agent, content script, background,
// panel) imports. Messages follow the convention of every Tidings wire protocol, { tag, v, kind }
// (see '@tidings/core/bridge'): tag 'tidings.devtools', version 1. Every receiver classifies a
// message with readMessage() and validates it with the parsers below before acting: window
// messages and port messages are untrusted input (any page script can post window messages; see
// docs/devtools.md "Trust model").
import { BUS_STATS_KEYS, checkEnvelope } from '@tidings/core'
import type { BusStats, TidingsEvent } from '@tidings/core'
import { isBoolean, isFiniteNumber, isId, isNat, isOptionalString, isRecord, readTagged, type Tagged } from '@tidings/core/bridge'
import { LIMITS, type WireError, type WireItem, type WireSubscription, isName, isWireError, isWireItem, isWireSubscription } from './item-schema.js'

export * from './item-schema.js'

export const TAG = 'tidings.devtools' as const
export const PROTOCOL_VERSION = 1 as const

/** Names of the chrome.runtime ports between content script, background and panel. */
export const PAGE_PORT = 'tidings-page'
export const PANEL_PORT_PREFIX = 'tidings-panel:'
/** chrome.tabs.sendMessage payload asking a tab's content script to open its page port. */
export const CONNECT_REQUEST = { tag: TAG, v: PROTOCOL_VERSION, kind: 'connect-request' } as const


interface Tag<K extends string> {
  tag: typeof TAG
  v: typeof PROTOCOL_VERSION
  kind: K
}

// ---------------------------------------------------------------- shared shapes

export interface AgentInfo {
  /** connectDevtools({ name }) or the bus name. */
  name: string
  bus: string
  /** Origin id of the page's bus. */
  origin: string
  url: string
  protocol: typeof PROTOCOL_VERSION
  maxEventsPerSecond: number
  paused: boolean
  /** Per-handler timing (deliver items) is on: connectDevtools({ timing }) or the panel's toggle. */
  timing?: boolean | undefined
}

/** Commands the panel sends to the page agent. */
export type Command =
  | {
      op: 'publish'
      type: string
      data?: unknown
      correlationId?: string
      causationId?: string
      metadata?: Record<string, unknown>
    }
  /** Re-publishes a past event (new id, metadata.replayOf). The agent prefers its own unredacted
   *  copy; `event` is the fallback when the agent no longer holds it (the panel sends it only
   *  when its copy was not cut). */
  | { op: 'replay'; eventId: string; event?: TidingsEvent }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'snapshot' }
  /** Per-handler timing on or off for this session (deliver items; see connectDevtools' timing). */
  | { op: 'timing'; on: boolean }

export type CommandOp = Command['op']

// ---------------------------------------------------------------- content script -> page (window)

/** Starts (or restarts) a session. `nonce` comes from the content script's isolated world; the
 *  agent tags everything it sends with it and obeys only commands carrying it. */
export interface HelloMsg extends Tag<'hello'> {
  nonce: string
  /** The agent stops streaming unless a ping renews the session within this time. */
  leaseMs: number
}
export interface PingMsg extends Tag<'ping'> {
  nonce: string
}
export interface ByeMsg extends Tag<'bye'> {
  nonce: string
}
export interface CommandMsg extends Tag<'command'> {
  nonce: string
  id: string
  command: Command
}
/** The extension is installed (posted by its content script at document_start and in answer to
 *  an announce): the agent starts recording into its ring buffer (connectDevtools' recordBytes).
 *  Carries nothing; a page script that forges one only makes its own agent record. */
export type PresentMsg = Tag<'present'>
export type ToAgentMsg = HelloMsg | PingMsg | ByeMsg | CommandMsg

// ---------------------------------------------------------------- page -> content script (window)

/** Posted once when connectDevtools() runs, so a content script that said hello before the agent
 *  loaded knows to say it again. Carries no event data. */
export interface AnnounceMsg extends Tag<'announce'> {
  name: string
}
export interface ReadyMsg extends Tag<'ready'> {
  nonce: string
  agent: AgentInfo
}
export interface BatchMsg extends Tag<'batch'> {
  nonce: string
  at: number
  /** JSON text of WireItem[]. Text, not objects: the page serializes once, the content script
   *  only checks the tag and nonce and forwards it (a port would JSON-serialize objects anyway),
   *  and the panel parses and validates every item with parseBatchItems() in its own process. */
  items: string
  /** Inspection events left out since the previous batch (sampling over maxEventsPerSecond). */
  skipped: number
  /** Items recorded before this session began (the panel was closed): sent right after `ready`. */
  recorded?: true | undefined
}
export interface SnapshotMsg extends Tag<'snapshot'> {
  nonce: string
  at: number
  subscriptions: WireSubscription[]
  stats: BusStats
  paused: boolean
  /** Per-handler timing is on (deliver items are streamed). */
  timing?: boolean | undefined
  /** Contexts seen (this page plus bridged tabs/workers). Sent by agents before recording; the
   *  panel now counts contexts from the publish items it receives (it has their origin and bridge). */
  contexts?: ContextSeen[]
  /** Every live sharedState of this bus (@tidings/tabs), its value sanitized like event data. */
  states?: WireState[]
}

/** One sharedState key as the agent sees it (stamp: its hybrid logical clock stamp). */
export interface WireState {
  key: string
  value: unknown
  stamp?: { t: number; c: number; o: string } | undefined
}
export interface ResultMsg extends Tag<'result'> {
  nonce: string
  id: string
  ok: boolean
  /** For publish/replay: the id of the event published. */
  eventId?: string
  error?: WireError
}
export type FromAgentMsg = AnnounceMsg | ReadyMsg | BatchMsg | SnapshotMsg | ResultMsg

export interface ContextSeen {
  origin: string
  via?: string
  events: number
  lastAt: number
  /** true for the page's own bus. */
  self: boolean
}

// ---------------------------------------------------------------- ports (content <-> background <-> panel)

/** What the content script tells the panel about its page. */
export interface StatusMsg extends Tag<'status'> {
  state: 'waiting' | 'connected' | 'no-agent' | 'lease-lost'
  url: string
  agent?: AgentInfo
  /** Page messages dropped by the content script (failed validation or wrong nonce). */
  rejected: number
}
/** Panel -> content script: run a command on the agent (the content script adds the nonce). */
export interface PanelCommandMsg extends Tag<'panel-command'> {
  id: string
  command: Command
}
/** Background -> panel: the page side of this tab is (dis)connected. */
export interface PipeMsg extends Tag<'pipe'> {
  page: 'connected' | 'disconnected'
}
/** Messages the panel may receive on its port. */
export type ToPanelMsg = Exclude<FromAgentMsg, AnnounceMsg> | StatusMsg | PipeMsg
/** Messages the content script may receive on its port. */
export type ToContentMsg = PanelCommandMsg

// ---------------------------------------------------------------- constructors

type AnyMsg = ToAgentMsg | PresentMsg | FromAgentMsg | StatusMsg | PanelCommandMsg | PipeMsg
/** A message without its tag (distributes over the union so each member keeps its fields). */
export type MessageBody<T> = T extends unknown ? Omit<T, 'tag' | 'v'> : never

/** Adds the tag: msg({ kind: 'hello', nonce, leaseMs }). */
export function msg<B extends MessageBody<AnyMsg>>(body: B): B & Tag<B['kind']> {
  return { tag: TAG, v: PROTOCOL_VERSION, ...body } as B & Tag<B['kind']>
}

/** Classifies anything received: 'foreign' (not ours: ignore it), 'malformed' (our tag, another
 *  version or no kind: count it), or 'ok' with its kind (not yet validated). Never throws. */
export function readMessage(x: unknown): Tagged {
  return readTagged(x, TAG, PROTOCOL_VERSION)
}

// ---------------------------------------------------------------- validators

type Rec = Record<string, unknown>

export function isCommand(x: unknown): x is Command {
  if (!isRecord(x)) return false
  switch (x['op']) {
    case 'publish':
      return isId(x['type'], 255) && isOptionalString(x['correlationId']) && isOptionalString(x['causationId']) && (x['metadata'] === undefined || isRecord(x['metadata']))
    case 'replay':
      return isId(x['eventId']) && (x['event'] === undefined || checkEnvelope(x['event']).ok)
    case 'pause':
    case 'resume':
    case 'snapshot':
      return true
    case 'timing':
      return isBoolean(x['on'])
    default:
      return false
  }
}

function isAgentInfo(x: unknown): x is AgentInfo {
  return (
    isRecord(x) &&
    isName(x['name']) &&
    isName(x['bus']) &&
    isId(x['origin']) &&
    typeof x['url'] === 'string' &&
    x['protocol'] === PROTOCOL_VERSION &&
    isNat(x['maxEventsPerSecond']) &&
    isBoolean(x['paused']) &&
    isOptionalBoolean(x['timing'])
  )
}

function isStats(x: unknown): x is BusStats {
  if (!isRecord(x)) return false
  for (const k of BUS_STATS_KEYS) if (!isNat(x[k])) return false
  return true
}

function isContextSeen(x: unknown): x is ContextSeen {
  return isRecord(x) && isId(x['origin']) && isOptionalString(x['via'], LIMITS.maxNameLength) && isNat(x['events']) && isFiniteNumber(x['lastAt']) && isBoolean(x['self'])
}

function isWireState(x: unknown): x is WireState {
  if (!isRecord(x) || !isName(x['key']) || !('value' in x)) return false
  const st = x['stamp']
  return st === undefined || (isRecord(st) && isFiniteNumber(st['t']) && isNat(st['c']) && isId(st['o']))
}

const isOptionalBoolean = (v: unknown) => v === undefined || isBoolean(v)

const isNonce = (v: unknown): v is string => isId(v, 100)

/** The message, when it is a devtools message of this version (fields not yet checked). */
function tagged(x: unknown): { kind: string; m: Rec } | undefined {
  const t = readMessage(x)
  return t.status === 'ok' ? { kind: t.kind, m: t.msg } : undefined
}

/** Validates a message the agent receives from the content script. */
export function parseToAgent(x: unknown): ToAgentMsg | undefined {
  const t = tagged(x)
  if (!t || !isNonce(t.m['nonce'])) return undefined
  const { m } = t
  switch (t.kind) {
    case 'hello':
      return isNat(m['leaseMs']) && m['leaseMs'] > 0 ? (m as unknown as HelloMsg) : undefined
    case 'ping':
    case 'bye':
      return m as unknown as PingMsg | ByeMsg
    case 'command':
      return isId(m['id']) && isCommand(m['command']) ? (m as unknown as CommandMsg) : undefined
    default:
      return undefined
  }
}

/** Validates a message the content script (or panel) receives from the page agent. */
export function parseFromAgent(x: unknown): FromAgentMsg | undefined {
  const t = tagged(x)
  if (!t) return undefined
  const { m } = t
  if (t.kind === 'announce') return isName(m['name']) ? (m as unknown as AnnounceMsg) : undefined
  if (!isNonce(m['nonce'])) return undefined
  switch (t.kind) {
    case 'ready':
      return isAgentInfo(m['agent']) ? (m as unknown as ReadyMsg) : undefined
    case 'batch': {
      const items = m['items']
      if (!isFiniteNumber(m['at']) || !isNat(m['skipped']) || typeof items !== 'string' || items.length > LIMITS.maxBatchChars) return undefined
      if (m['recorded'] !== undefined && m['recorded'] !== true) return undefined
      return m as unknown as BatchMsg
    }
    case 'snapshot': {
      const subs = m['subscriptions']
      const ctxs = m['contexts']
      if (!isFiniteNumber(m['at']) || !isBoolean(m['paused']) || !isOptionalBoolean(m['timing']) || !isStats(m['stats'])) return undefined
      if (!Array.isArray(subs) || subs.length > LIMITS.maxSubscriptions || !subs.every(isWireSubscription)) return undefined
      if (ctxs !== undefined && (!Array.isArray(ctxs) || ctxs.length > LIMITS.maxSubscriptions || !ctxs.every(isContextSeen))) return undefined
      const states = m['states']
      if (states !== undefined && (!Array.isArray(states) || states.length > LIMITS.maxSubscriptions || !states.every(isWireState))) return undefined
      return m as unknown as SnapshotMsg
    }
    case 'result':
      return isId(m['id']) && isBoolean(m['ok']) && isOptionalString(m['eventId']) && (m['error'] === undefined || isWireError(m['error'])) ? (m as unknown as ResultMsg) : undefined
    default:
      return undefined
  }
}

/** Parses and validates a batch's items (the panel does this; the page never needs to). */
export function parseBatchItems(text: string): WireItem[] | undefined {
  let items: unknown
  try {
    items = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!Array.isArray(items) || items.length > LIMITS.maxBatchItems) return undefined
  for (const it of items) if (!isWireItem(it)) return undefined
  return items as WireItem[]
}

/** Validates what arrives on the panel's port (agent messages relayed, plus status/pipe). */
export function parseToPanel(x: unknown): ToPanelMsg | undefined {
  const t = tagged(x)
  if (!t) return undefined
  const { m } = t
  if (t.kind === 'status') {
    const okState = m['state'] === 'waiting' || m['state'] === 'connected' || m['state'] === 'no-agent' || m['state'] === 'lease-lost'
    return okState && typeof m['url'] === 'string' && isNat(m['rejected']) && (m['agent'] === undefined || isAgentInfo(m['agent'])) ? (m as unknown as StatusMsg) : undefined
  }
  if (t.kind === 'pipe') return m['page'] === 'connected' || m['page'] === 'disconnected' ? (m as unknown as PipeMsg) : undefined
  const r = parseFromAgent(m)
  return r && r.kind !== 'announce' ? r : undefined
}

/** Validates what arrives on the content script's port from the panel. */
export function parseToContent(x: unknown): ToContentMsg | undefined {
  const t = tagged(x)
  if (!t || t.kind !== 'panel-command') return undefined
  return isId(t.m['id']) && isCommand(t.m['command']) ? (t.m as unknown as PanelCommandMsg) : undefined
}

// ---------------------------------------------------------------- export file format

export const EXPORT_FORMAT = 'tidings-devtools-export' as const

/** An export is the panel's log as the items it was built from (the same schema as batches), so
 *  importing it is applying a batch: nothing is re-derived by hand. */
export interface ExportFile {
  format: typeof EXPORT_FORMAT
  v: typeof PROTOCOL_VERSION
  exportedAt: number
  agent?: AgentInfo
  items: WireItem[]
}

export type ExportCheck = { ok: true; file: ExportFile; invalid: number } | { ok: false; reason: string }

/** Validates an imported export file; invalid items are counted and left out. */
export function parseExport(x: unknown): ExportCheck {
  if (!isRecord(x) || x['format'] !== EXPORT_FORMAT) return { ok: false, reason: `not a ${EXPORT_FORMAT} file` }
  if (x['v'] !== PROTOCOL_VERSION) return { ok: false, reason: `unsupported export version ${String(x['v'])}` }
  if (!Array.isArray(x['items'])) return { ok: false, reason: 'items must be an array' }
  const items: WireItem[] = []
  let invalid = 0
  for (const it of x['items']) {
    if (isWireItem(it)) items.push(it)
    else invalid++
  }
  const agent = isAgentInfo(x['agent']) ? x['agent'] : undefined
  const file: ExportFile = { format: EXPORT_FORMAT, v: PROTOCOL_VERSION, exportedAt: isFiniteNumber(x['exportedAt']) ? x['exportedAt'] : 0, items }
  if (agent) file.agent = agent
  return { ok: true, file, invalid }
}
