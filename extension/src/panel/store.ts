// Everything the panel knows about the inspected page, fed by protocol messages (or an imported
// file). Plain TypeScript, no UI: views read it and re-render when `version` changes.
import { compilePatterns } from '@tidings/core'
// The log filter accepts every glob form, braces and classes included.
import '@tidings/core/globs'
import type { BusStats } from '@tidings/core'
import {
  type AgentInfo,
  type ContextSeen,
  type ExportFile,
  type FollowerItem,
  type PublishItem,
  type SnapshotMsg,
  type StatusMsg,
  type WireItem,
  type WireState,
  type WireSubscription,
  EXPORT_FORMAT,
  PROTOCOL_VERSION,
} from '@tidings/devtools/protocol'
import { LoggedEvent, searchable } from './logged-event.ts'

export { LoggedEvent }

export type PipeState = 'connecting' | 'connected' | 'disconnected'

const MAX_PENDING = 20_000
const CHART_SECONDS = 60

export class PanelStore {
  readonly maxEvents: number
  events: LoggedEvent[] = []
  /** The log as filtered (same objects as `events`, in order). */
  filtered: LoggedEvent[] = []
  byId = new Map<string, LoggedEvent>()
  private byCorrelation = new Map<string, LoggedEvent[]>()
  private byCause = new Map<string, LoggedEvent[]>()
  /** Items whose publish item has not arrived (yet, or ever: it may have been sampled out). */
  private pending = new Map<string, FollowerItem[]>()
  subscriptions = new Map<string, WireSubscription>()
  /** Contexts counted from the publish items received (this page and bridged tabs/workers). */
  private seen = new Map<string, ContextSeen>()
  /** The page's sharedStates as of the last snapshot. */
  states: WireState[] = []
  /** Events shown that the agent recorded before this panel opened. */
  recordedCount = 0
  stats: BusStats | undefined
  agent: AgentInfo | undefined
  status: StatusMsg | undefined
  pipe: PipeState = 'connecting'
  paused = false
  /** The agent streams per-handler timing (deliver items). An agent that does not say (older
   *  than the toggle) always streamed them. */
  timing = true
  skipped = 0
  /** Errors/drops whose event was sampled out (no log row to attach them to). */
  orphanFailures = 0
  private nextN = 0
  private buckets = new Map<number, Map<string, number>>()
  /** Drops, rejects and handler errors per second (the chart marks them). */
  private problemBuckets = new Map<number, number>()
  private latestSecond = 0

  filterText = ''
  searchText = ''
  problemsOnly = false
  filterError: string | undefined
  private match: ((e: LoggedEvent) => boolean) | undefined

  version = 0
  private listeners = new Set<() => void>()

  constructor(opts: { maxEvents?: number } = {}) {
    this.maxEvents = opts.maxEvents ?? 100_000
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private changed(): void {
    this.version++
    for (const fn of this.listeners) fn()
  }

  // ------------------------------------------------------------ feeding

  setPipe(p: PipeState): void {
    this.pipe = p
    this.changed()
  }

  setStatus(s: StatusMsg): void {
    this.status = s
    if (s.agent) this.agent = s.agent
    this.changed()
  }

  setAgent(a: AgentInfo): void {
    this.agent = a
    this.paused = a.paused
    this.timing = a.timing ?? true
    this.changed()
  }

  applyBatch(b: { items: readonly WireItem[]; skipped: number; recorded?: boolean }): void {
    this.skipped += b.skipped
    for (const it of b.items) this.applyItem(it, b.recorded === true)
    this.evict()
    this.changed()
  }

  applySnapshot(s: SnapshotMsg): void {
    this.subscriptions = new Map(s.subscriptions.map((x) => [x.id, x]))
    if (s.states) this.states = s.states
    this.stats = s.stats
    this.paused = s.paused
    this.timing = s.timing ?? true
    this.changed()
  }

  private pendingFor(id: string): FollowerItem[] {
    let p = this.pending.get(id)
    if (!p) {
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string)
      p = []
      this.pending.set(id, p)
    }
    return p
  }

  /** Every context seen, the page's own first. */
  get contexts(): ContextSeen[] {
    const self = this.agent?.origin
    return [...this.seen.values()].map((c) => ({ ...c, self: c.origin === self })).sort((a, b) => Number(b.self) - Number(a.self))
  }

  private applyItem(it: WireItem, recorded: boolean): void {
    switch (it.kind) {
      case 'publish':
        this.addEvent(it, recorded)
        break
      case 'subscribe':
        this.subscriptions.set(it.subscription.id, it.subscription)
        break
      case 'unsubscribe':
        this.subscriptions.delete(it.sub)
        break
      default: {
        // deliver, error, drop, reject, bridge: kept as they are, on their event
        const e = this.byId.get(it.eventId)
        ;(e?.followers ?? this.pendingFor(it.eventId)).push(it)
        if (it.kind === 'drop' || it.kind === 'reject' || it.kind === 'error') {
          const sec = Math.floor(it.at / 1000)
          this.problemBuckets.set(sec, (this.problemBuckets.get(sec) ?? 0) + 1)
          // A row already filtered out may now be a problem row.
          if (e && this.problemsOnly && !this.filtered.includes(e) && this.matches(e)) this.filtered = this.events.filter((x) => this.matches(x))
        }
      }
    }
  }

  addEvent(item: PublishItem, recorded = false): LoggedEvent {
    const { event } = item
    const p = this.pending.get(event.id)
    if (p) this.pending.delete(event.id)
    const e = new LoggedEvent(this.nextN++, item, p ?? [], recorded)
    if (recorded) this.recordedCount++
    let c = this.seen.get(event.origin)
    if (!c) {
      if (this.seen.size >= 500) this.seen.delete(this.seen.keys().next().value as string)
      this.seen.set(event.origin, (c = { origin: event.origin, events: 0, lastAt: item.at, self: false }))
      if (item.ctx.via !== undefined) c.via = item.ctx.via
    }
    c.events++
    c.lastAt = Math.max(c.lastAt, item.at)
    this.events.push(e)
    this.byId.set(event.id, e)
    if (event.correlationId !== undefined) push(this.byCorrelation, event.correlationId, e)
    if (event.causationId !== undefined) push(this.byCause, event.causationId, e)
    if (this.matches(e)) this.filtered.push(e)
    this.count(event.type, item.at)
    return e
  }

  private evict(): void {
    if (this.events.length <= this.maxEvents) return
    // Evict in chunks so a full log costs one O(n) pass per 10% of new events, not per event.
    const cut = this.events.length - this.maxEvents + Math.floor(this.maxEvents / 10)
    const gone = this.events.slice(0, cut)
    this.events = this.events.slice(cut)
    for (const e of gone) {
      this.byId.delete(e.event.id)
      if (e.recorded) this.recordedCount--
    }
    const minN = this.events[0]?.n ?? this.nextN
    this.filtered = this.filtered.filter((e) => e.n >= minN)
    for (const [k, list] of this.byCorrelation) {
      const kept = list.filter((e) => e.n >= minN)
      if (kept.length) this.byCorrelation.set(k, kept)
      else this.byCorrelation.delete(k)
    }
    for (const [k, list] of this.byCause) {
      const kept = list.filter((e) => e.n >= minN)
      if (kept.length) this.byCause.set(k, kept)
      else this.byCause.delete(k)
    }
  }

  clear(): void {
    this.events = []
    this.filtered = []
    this.byId.clear()
    this.byCorrelation.clear()
    this.byCause.clear()
    this.pending.clear()
    this.buckets.clear()
    this.problemBuckets.clear()
    this.recordedCount = 0
    this.skipped = 0
    this.changed()
  }

  // ------------------------------------------------------------ filter and search

  /** Space- or comma-separated glob patterns (core's semantics); empty shows everything.
   *  `problemsOnly`: only events with a handler error, a drop or a refusal. */
  setFilter(text: string, search: string, problemsOnly = this.problemsOnly): void {
    this.filterText = text
    this.searchText = search
    this.problemsOnly = problemsOnly
    const patterns = text.split(/[\s,]+/).filter(Boolean)
    let byType: ((t: string) => boolean) | undefined
    this.filterError = undefined
    if (patterns.length) {
      try {
        byType = compilePatterns(patterns)
      } catch (err) {
        this.filterError = err instanceof Error ? err.message : String(err)
      }
    }
    const needle = search.trim().toLowerCase()
    this.match =
      !byType && !needle && !problemsOnly
        ? undefined
        : (e) => (!problemsOnly || e.problem !== undefined) && (!byType || byType(e.event.type)) && (!needle || searchable(e).includes(needle))
    this.filtered = this.match ? this.events.filter(this.match) : this.events.slice()
    this.changed()
  }

  private matches(e: LoggedEvent): boolean {
    return this.match ? this.match(e) : true
  }

  // ------------------------------------------------------------ lookups for the detail view

  correlated(e: LoggedEvent): LoggedEvent[] {
    const id = e.event.correlationId
    return id === undefined ? [] : (this.byCorrelation.get(id) ?? [])
  }

  causedBy(e: LoggedEvent): LoggedEvent[] {
    return this.byCause.get(e.event.id) ?? []
  }

  // ------------------------------------------------------------ throughput

  private count(type: string, at: number): void {
    const sec = Math.floor(at / 1000)
    let b = this.buckets.get(sec)
    if (!b) {
      this.buckets.set(sec, (b = new Map()))
      if (sec > this.latestSecond) this.latestSecond = sec
      for (const k of this.buckets.keys()) if (k <= this.latestSecond - CHART_SECONDS) this.buckets.delete(k)
    }
    b.set(type, (b.get(type) ?? 0) + 1)
  }

  /** Events/s for the last 60 seconds, per top topic (the rest, and $ system topics, summed as 'other'), and the
   *  drops/rejects/errors of each second. */
  throughput(top = 5, endSecond = this.latestSecond): { seconds: number[]; series: { type: string; values: number[] }[]; problems: number[] } {
    const seconds: number[] = []
    // The last 60 s, or less when the log is younger (at least 15 s), so a short session fills the chart.
    let oldest = endSecond
    for (const k of this.buckets.keys()) if (k < oldest) oldest = k
    for (let s = Math.max(endSecond - CHART_SECONDS + 1, Math.min(oldest, endSecond - 14)); s <= endSecond; s++) seconds.push(s)
    const totals = new Map<string, number>()
    for (const s of seconds) for (const [t, n] of this.buckets.get(s) ?? []) totals.set(t, (totals.get(t) ?? 0) + n)
    // System topics ($tidings.*: core's own subscription/error events) go to 'other'.
    const tops = [...totals.entries()]
      .filter(([t]) => !t.startsWith('$'))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, top)
      .map(([t]) => t)
    const topSet = new Set(tops)
    const series = tops.map((type) => ({ type, values: seconds.map((s) => this.buckets.get(s)?.get(type) ?? 0) }))
    if (totals.size > tops.length) {
      series.push({
        type: 'other',
        values: seconds.map((s) => {
          let n = 0
          for (const [t, c] of this.buckets.get(s) ?? []) if (!topSet.has(t)) n += c
          return n
        }),
      })
    }
    return { seconds, series, problems: seconds.map((s) => this.problemBuckets.get(s) ?? 0) }
  }

  // ------------------------------------------------------------ export / import

  /** The log as the items it was built from (followers first, as they arrive live), plus the
   *  current subscriptions. Nothing is re-derived: what was applied is what is written. */
  toExport(): ExportFile {
    const items: WireItem[] = []
    for (const e of this.events) items.push(...e.followers, e.item)
    for (const s of this.subscriptions.values()) items.push({ kind: 'subscribe', at: 0, subscription: s })
    const file: ExportFile = { format: EXPORT_FORMAT, v: PROTOCOL_VERSION, exportedAt: Date.now(), items }
    if (this.agent) file.agent = this.agent
    return file
  }

  /** Loads an (already validated: parseExport) export next to what is shown, through the same
   *  path as a live batch. Items about events already in the log are left out, so importing a
   *  file twice adds nothing. Returns the number of events added. */
  importFile(file: ExportFile): number {
    const before = this.events.length
    const isNew = (i: WireItem): boolean => {
      if (i.kind === 'publish') return !this.byId.has(i.event.id)
      if (i.kind === 'subscribe' || i.kind === 'unsubscribe') return true
      return !this.byId.has(i.eventId)
    }
    this.applyBatch({ items: file.items.filter(isNew), skipped: 0 })
    return this.events.length - before
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k)
  if (list) list.push(v)
  else m.set(k, [v])
}
