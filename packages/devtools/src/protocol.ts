// The DevTools wire protocol: the ONE module every context (page agent, content script, background,
// panel) imports. Every message is tagged { source: 'tidings-devtools', v: 1, type } and every
// receiver validates with the functions below before acting: window messages and port messages are
// untrusted input (any page script can post window messages; see README "Trust model").
import { checkEnvelope } from '@tidings/core'
import type { BusStats, PublishReceipt, SubscriptionInfo, TidingsEvent } from '@tidings/core'

export const SOURCE = 'tidings-devtools' as const
export const PROTOCOL_VERSION = 1 as const

/** Names of the chrome.runtime ports between content script, background and panel. */
export const PAGE_PORT = 'tidings-page'
export const PANEL_PORT_PREFIX = 'tidings-panel:'
/** chrome.tabs.sendMessage payload asking a tab's content script to open its page port. */
export const CONNECT_REQUEST = { source: SOURCE, v: PROTOCOL_VERSION, type: 'connect-request' } as const

/** Bounds on what a receiver accepts (a hostile page could post huge messages). */
export const LIMITS = {
  maxBatchItems: 5000,
  maxBatchChars: 32 * 1024 * 1024,
  maxSubscriptions: 10_000,
  maxIdLength: 200,
  maxNameLength: 200,
  maxErrorLength: 4000,
} as const

interface Tagged<T extends string> {
  source: typeof SOURCE
  v: typeof PROTOCOL_VERSION
  type: T
}

// ---------------------------------------------------------------- shared shapes

/** Where an event came from: the publishing context and, for bridged events, the bridge. */
export interface ContextLabel {
  origin: string
  /** bus.bridgedBy(event): 'tabs', 'worker', ... ; absent for events published in this page. */
  via?: string
}

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
}

export interface WireError {
  name: string
  message: string
  stack?: string
}

/** SubscriptionInfo as sent (already plain data). */
export type WireSubscription = SubscriptionInfo

/** One inspection event as it crosses the wire. Envelope data is already redacted. */
export type WireItem =
  | { kind: 'publish'; at: number; event: TidingsEvent; ctx: ContextLabel; receipt: PublishReceipt }
  | { kind: 'deliver'; at: number; eventId: string; sub: string; ms: number; attempt: number }
  | { kind: 'drop'; at: number; eventId: string; type: string; sub: string; reason: string }
  | { kind: 'reject'; at: number; eventId: string; type: string; sub: string; reason: string }
  | { kind: 'error'; at: number; eventId: string; type: string; sub: string; error: WireError; attempt: number; final: boolean }
  | { kind: 'subscribe'; at: number; subscription: WireSubscription }
  | { kind: 'unsubscribe'; at: number; sub: string }
  | { kind: 'bridge'; at: number; eventId: string; type: string; origin: string; bridge: string; direction: 'in' | 'out' }

export type WireItemKind = WireItem['kind']

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
   *  copy; `event` is the fallback when the agent no longer holds it. */
  | { op: 'replay'; eventId: string; event?: TidingsEvent }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'snapshot' }

export type CommandOp = Command['op']

// ---------------------------------------------------------------- content script -> page (window)

/** Starts (or restarts) a session. `nonce` comes from the content script's isolated world; the
 *  agent tags everything it sends with it and obeys only commands carrying it. */
export interface HelloMsg extends Tagged<'hello'> {
  nonce: string
  /** The agent stops streaming unless a ping renews the session within this time. */
  leaseMs: number
}
export interface PingMsg extends Tagged<'ping'> {
  nonce: string
}
export interface ByeMsg extends Tagged<'bye'> {
  nonce: string
}
export interface CommandMsg extends Tagged<'command'> {
  nonce: string
  id: string
  command: Command
}
export type ToAgentMsg = HelloMsg | PingMsg | ByeMsg | CommandMsg

// ---------------------------------------------------------------- page -> content script (window)

/** Posted once when connectDevtools() runs, so a content script that said hello before the agent
 *  loaded knows to say it again. Carries no event data. */
export interface AnnounceMsg extends Tagged<'announce'> {
  name: string
}
export interface ReadyMsg extends Tagged<'ready'> {
  nonce: string
  agent: AgentInfo
}
export interface BatchMsg extends Tagged<'batch'> {
  nonce: string
  at: number
  /** JSON text of WireItem[]. Text, not objects: the page serializes once, the content script
   *  only checks the tag and nonce and forwards it (a port would JSON-serialize objects anyway),
   *  and the panel parses and validates every item with parseBatchItems() in its own process. */
  items: string
  /** Inspection events left out since the previous batch (sampling over maxEventsPerSecond). */
  skipped: number
}
export interface SnapshotMsg extends Tagged<'snapshot'> {
  nonce: string
  at: number
  subscriptions: WireSubscription[]
  stats: BusStats
  paused: boolean
  /** Contexts the agent has seen events from (this page plus bridged tabs/workers). */
  contexts: ContextSeen[]
}
export interface ResultMsg extends Tagged<'result'> {
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
export interface StatusMsg extends Tagged<'status'> {
  state: 'waiting' | 'connected' | 'no-agent' | 'lease-lost'
  url: string
  agent?: AgentInfo
  /** Page messages dropped by the content script (failed validation or wrong nonce). */
  rejected: number
}
/** Panel -> content script: run a command on the agent (the content script adds the nonce). */
export interface PanelCommandMsg extends Tagged<'panel-command'> {
  id: string
  command: Command
}
/** Background -> panel: the page side of this tab is (dis)connected. */
export interface PipeMsg extends Tagged<'pipe'> {
  page: 'connected' | 'disconnected'
}
/** Messages the panel may receive on its port. */
export type ToPanelMsg = Exclude<FromAgentMsg, AnnounceMsg> | StatusMsg | PipeMsg
/** Messages the content script may receive on its port. */
export type ToContentMsg = PanelCommandMsg

// ---------------------------------------------------------------- constructors

type AnyMsg = ToAgentMsg | FromAgentMsg | StatusMsg | PanelCommandMsg | PipeMsg
/** A message without its tag (distributes over the union so each member keeps its fields). */
export type MessageBody<T> = T extends unknown ? Omit<T, 'source' | 'v'> : never

/** Adds the tag: msg({ type: 'hello', nonce, leaseMs }). */
export function msg<B extends MessageBody<AnyMsg>>(body: B): B & Tagged<B['type']> {
  return { source: SOURCE, v: PROTOCOL_VERSION, ...body } as B & Tagged<B['type']>
}

// ---------------------------------------------------------------- validators

type Rec = Record<string, unknown>
const isObj = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v)
const isStr = (v: unknown, max: number = LIMITS.maxIdLength): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max
const optStr = (v: unknown, max: number = LIMITS.maxIdLength) => v === undefined || (typeof v === 'string' && v.length <= max)
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isBool = (v: unknown): v is boolean => typeof v === 'boolean'

/** Is this a tagged Tidings DevTools message of protocol version 1 (not yet validated)? */
export function isTagged(x: unknown): x is Rec & { type: string } {
  return isObj(x) && x['source'] === SOURCE && x['v'] === PROTOCOL_VERSION && typeof x['type'] === 'string'
}

function isWireError(x: unknown): x is WireError {
  return (
    isObj(x) &&
    typeof x['name'] === 'string' &&
    typeof x['message'] === 'string' &&
    (x['message'] as string).length <= LIMITS.maxErrorLength &&
    optStr(x['stack'], LIMITS.maxErrorLength * 4)
  )
}

function isReceipt(x: unknown): x is PublishReceipt {
  return (
    isObj(x) &&
    isStr(x['id']) &&
    isNat(x['matched']) &&
    isNat(x['delivered']) &&
    isNat(x['queued']) &&
    isNat(x['dropped']) &&
    isNat(x['rejected'])
  )
}

const SUB_KINDS = new Set(['handler', 'queued', 'observable', 'inbox', 'reply', 'bridge'])
const STRATEGIES = new Set(['drop-oldest', 'drop-newest', 'block', 'reject'])

export function isWireSubscription(x: unknown): x is WireSubscription {
  if (!isObj(x)) return false
  if (!isStr(x['id']) || !Array.isArray(x['patterns']) || !x['patterns'].every((p) => isStr(p, 255))) return false
  if (typeof x['kind'] !== 'string' || !SUB_KINDS.has(x['kind'])) return false
  if (!optStr(x['label'], LIMITS.maxNameLength) || !isNum(x['priority'])) return false
  for (const k of ['received', 'handled', 'dropped', 'rejected', 'errors', 'queued', 'maxQueued'] as const)
    if (!isNat(x[k])) return false
  if (x['queueMax'] !== undefined && !isNat(x['queueMax'])) return false
  if (x['strategy'] !== undefined && !STRATEGIES.has(x['strategy'] as string)) return false
  if (x['concurrency'] !== undefined && !isNat(x['concurrency'])) return false
  return true
}

function isContextLabel(x: unknown): x is ContextLabel {
  return isObj(x) && isStr(x['origin']) && optStr(x['via'], LIMITS.maxNameLength)
}

export function isWireItem(x: unknown): x is WireItem {
  if (!isObj(x) || !isNum(x['at'])) return false
  switch (x['kind']) {
    case 'publish':
      return checkEnvelope(x['event']).ok && isContextLabel(x['ctx']) && isReceipt(x['receipt'])
    case 'deliver':
      return isStr(x['eventId']) && isStr(x['sub']) && isNum(x['ms']) && isNat(x['attempt'])
    case 'drop':
    case 'reject':
      return isStr(x['eventId']) && isStr(x['type'], 255) && isStr(x['sub']) && typeof x['reason'] === 'string'
    case 'error':
      return (
        isStr(x['eventId']) &&
        isStr(x['type'], 255) &&
        isStr(x['sub']) &&
        isWireError(x['error']) &&
        isNat(x['attempt']) &&
        isBool(x['final'])
      )
    case 'subscribe':
      return isWireSubscription(x['subscription'])
    case 'unsubscribe':
      return isStr(x['sub'])
    case 'bridge':
      return (
        isStr(x['eventId']) &&
        isStr(x['type'], 255) &&
        isStr(x['origin']) &&
        isStr(x['bridge'], LIMITS.maxNameLength) &&
        (x['direction'] === 'in' || x['direction'] === 'out')
      )
    default:
      return false
  }
}

export function isCommand(x: unknown): x is Command {
  if (!isObj(x)) return false
  switch (x['op']) {
    case 'publish':
      return (
        isStr(x['type'], 255) &&
        optStr(x['correlationId']) &&
        optStr(x['causationId']) &&
        (x['metadata'] === undefined || isObj(x['metadata']))
      )
    case 'replay':
      return isStr(x['eventId']) && (x['event'] === undefined || checkEnvelope(x['event']).ok)
    case 'pause':
    case 'resume':
    case 'snapshot':
      return true
    default:
      return false
  }
}

function isAgentInfo(x: unknown): x is AgentInfo {
  return (
    isObj(x) &&
    isStr(x['name'], LIMITS.maxNameLength) &&
    isStr(x['bus'], LIMITS.maxNameLength) &&
    isStr(x['origin']) &&
    typeof x['url'] === 'string' &&
    x['protocol'] === PROTOCOL_VERSION &&
    isNat(x['maxEventsPerSecond']) &&
    isBool(x['paused'])
  )
}

function isStats(x: unknown): x is BusStats {
  if (!isObj(x)) return false
  for (const k of ['published', 'delivered', 'dropped', 'rejected', 'errors', 'subscriptions'] as const)
    if (!isNat(x[k])) return false
  return true
}

function isContextSeen(x: unknown): x is ContextSeen {
  return (
    isObj(x) &&
    isStr(x['origin']) &&
    optStr(x['via'], LIMITS.maxNameLength) &&
    isNat(x['events']) &&
    isNum(x['lastAt']) &&
    isBool(x['self'])
  )
}

/** Validates a message the agent receives from the content script. */
export function parseToAgent(x: unknown): ToAgentMsg | undefined {
  if (!isTagged(x) || !isStr(x['nonce'], 100)) return undefined
  switch (x['type']) {
    case 'hello':
      return isNat(x['leaseMs']) && x['leaseMs'] > 0 ? (x as unknown as HelloMsg) : undefined
    case 'ping':
    case 'bye':
      return x as unknown as PingMsg | ByeMsg
    case 'command':
      return isStr(x['id']) && isCommand(x['command']) ? (x as unknown as CommandMsg) : undefined
    default:
      return undefined
  }
}

/** Validates a message the content script (or panel) receives from the page agent. */
export function parseFromAgent(x: unknown): FromAgentMsg | undefined {
  if (!isTagged(x)) return undefined
  if (x['type'] === 'announce') return isStr(x['name'], LIMITS.maxNameLength) ? (x as unknown as AnnounceMsg) : undefined
  if (!isStr(x['nonce'], 100)) return undefined
  switch (x['type']) {
    case 'ready':
      return isAgentInfo(x['agent']) ? (x as unknown as ReadyMsg) : undefined
    case 'batch': {
      const items = x['items']
      if (!isNum(x['at']) || !isNat(x['skipped']) || typeof items !== 'string' || items.length > LIMITS.maxBatchChars) return undefined
      return x as unknown as BatchMsg
    }
    case 'snapshot': {
      const subs = x['subscriptions']
      const ctxs = x['contexts']
      if (!isNum(x['at']) || !isBool(x['paused']) || !isStats(x['stats'])) return undefined
      if (!Array.isArray(subs) || subs.length > LIMITS.maxSubscriptions || !subs.every(isWireSubscription)) return undefined
      if (!Array.isArray(ctxs) || ctxs.length > LIMITS.maxSubscriptions || !ctxs.every(isContextSeen)) return undefined
      return x as unknown as SnapshotMsg
    }
    case 'result':
      return isStr(x['id']) &&
        isBool(x['ok']) &&
        optStr(x['eventId']) &&
        (x['error'] === undefined || isWireError(x['error']))
        ? (x as unknown as ResultMsg)
        : undefined
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
  if (!isTagged(x)) return undefined
  if (x['type'] === 'status') {
    const okState = ['waiting', 'connected', 'no-agent', 'lease-lost'].includes(x['state'] as string)
    return okState && typeof x['url'] === 'string' && isNat(x['rejected']) && (x['agent'] === undefined || isAgentInfo(x['agent']))
      ? (x as unknown as StatusMsg)
      : undefined
  }
  if (x['type'] === 'pipe') return x['page'] === 'connected' || x['page'] === 'disconnected' ? (x as unknown as PipeMsg) : undefined
  const m = parseFromAgent(x)
  return m && m.type !== 'announce' ? m : undefined
}

/** Validates what arrives on the content script's port from the panel. */
export function parseToContent(x: unknown): ToContentMsg | undefined {
  if (!isTagged(x) || x['type'] !== 'panel-command') return undefined
  return isStr(x['id']) && isCommand(x['command']) ? (x as unknown as PanelCommandMsg) : undefined
}

// ---------------------------------------------------------------- export file format

export const EXPORT_FORMAT = 'tidings-devtools-export' as const

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
  if (!isObj(x) || x['format'] !== EXPORT_FORMAT) return { ok: false, reason: `not a ${EXPORT_FORMAT} file` }
  if (x['v'] !== PROTOCOL_VERSION) return { ok: false, reason: `unsupported export version ${String(x['v'])}` }
  if (!Array.isArray(x['items'])) return { ok: false, reason: 'items must be an array' }
  const items: WireItem[] = []
  let invalid = 0
  for (const it of x['items']) {
    if (isWireItem(it)) items.push(it)
    else invalid++
  }
  const agent = isAgentInfo(x['agent']) ? x['agent'] : undefined
  const file: ExportFile = { format: EXPORT_FORMAT, v: PROTOCOL_VERSION, exportedAt: isNum(x['exportedAt']) ? x['exportedAt'] : 0, items }
  if (agent) file.agent = agent
  return { ok: true, file, invalid }
}
