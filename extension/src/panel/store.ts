// Everything the panel knows about the inspected page, fed by protocol messages (or an imported
// file). Plain TypeScript, no UI: views read it and re-render when `version` changes.
import { compilePatterns } from '@tidings/core'
// The log filter accepts every glob form, braces and classes included.
import '@tidings/core/globs'
import type { BusStats, PublishReceipt, TidingsEvent } from '@tidings/core'
import {
  type AgentInfo,
  type ContextLabel,
  type ContextSeen,
  type ExportFile,
  type SnapshotMsg,
  type StatusMsg,
  type WireError,
  type WireItem,
  type WireSubscription,
  EXPORT_FORMAT,
  PROTOCOL_VERSION,
} from '@tidings/devtools/protocol'

export interface Delivery {
  sub: string
  ms: number
  attempt: number
  at: number
}
export interface Failure {
  sub: string
  error: WireError
  attempt: number
  final: boolean
  at: number
}
export interface Refusal {
  kind: 'drop' | 'reject'
  sub: string
  reason: string
  at: number
}
export interface Hop {
  bridge: string
  direction: 'in' | 'out'
  at: number
}

export interface LoggedEvent {
  /** Arrival number in this panel (monotonic, survives eviction). */
  n: number
  at: number
  event: TidingsEvent
  ctx: ContextLabel
  receipt: PublishReceipt
  deliveries: Delivery[]
  errors: Failure[]
  refusals: Refusal[]
  hops: Hop[]
  search?: string
}

interface Pending {
  deliveries: Delivery[]
  errors: Failure[]
  refusals: Refusal[]
  hops: Hop[]
}

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
  private pending = new Map<string, Pending>()
  subscriptions = new Map<string, WireSubscription>()
  contexts: ContextSeen[] = []
  stats: BusStats | undefined
  agent: AgentInfo | undefined
  status: StatusMsg | undefined
  pipe: PipeState = 'connecting'
  paused = false
  skipped = 0
  /** Errors/drops whose event was sampled out (no log row to attach them to). */
  orphanFailures = 0
  private nextN = 0
  private buckets = new Map<number, Map<string, number>>()
  private latestSecond = 0

  filterText = ''
  searchText = ''
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
    this.changed()
  }

  applyBatch(b: { items: readonly WireItem[]; skipped: number }): void {
    this.skipped += b.skipped
    for (const it of b.items) this.applyItem(it)
    this.evict()
    this.changed()
  }

  applySnapshot(s: SnapshotMsg): void {
    this.subscriptions = new Map(s.subscriptions.map((x) => [x.id, x]))
    this.contexts = s.contexts
    this.stats = s.stats
    this.paused = s.paused
    this.changed()
  }

  private pendingFor(id: string): Pending {
    let p = this.pending.get(id)
    if (!p) {
      if (this.pending.size >= MAX_PENDING) {
        const oldest = this.pending.keys().next().value
        if (oldest !== undefined) {
          this.pending.delete(oldest)
        }
      }
      p = { deliveries: [], errors: [], refusals: [], hops: [] }
      this.pending.set(id, p)
    }
    return p
  }

  private target(id: string): LoggedEvent | Pending {
    return this.byId.get(id) ?? this.pendingFor(id)
  }

  private applyItem(it: WireItem): void {
    switch (it.kind) {
      case 'publish':
        this.addEvent(it.event, it.ctx, it.receipt, it.at)
        break
      case 'deliver':
        this.target(it.eventId).deliveries.push({ sub: it.sub, ms: it.ms, attempt: it.attempt, at: it.at })
        break
      case 'error':
        this.target(it.eventId).errors.push({ sub: it.sub, error: it.error, attempt: it.attempt, final: it.final, at: it.at })
        break
      case 'drop':
      case 'reject':
        this.target(it.eventId).refusals.push({ kind: it.kind, sub: it.sub, reason: it.reason, at: it.at })
        break
      case 'bridge':
        this.target(it.eventId).hops.push({ bridge: it.bridge, direction: it.direction, at: it.at })
        break
      case 'subscribe':
        this.subscriptions.set(it.subscription.id, it.subscription)
        break
      case 'unsubscribe':
        this.subscriptions.delete(it.sub)
        break
    }
  }

  addEvent(event: TidingsEvent, ctx: ContextLabel, receipt: PublishReceipt, at: number): LoggedEvent {
    const p = this.pending.get(event.id)
    if (p) this.pending.delete(event.id)
    const e: LoggedEvent = {
      n: this.nextN++,
      at,
      event,
      ctx,
      receipt,
      deliveries: p?.deliveries ?? [],
      errors: p?.errors ?? [],
      refusals: p?.refusals ?? [],
      hops: p?.hops ?? [],
    }
    this.events.push(e)
    this.byId.set(event.id, e)
    if (event.correlationId !== undefined) push(this.byCorrelation, event.correlationId, e)
    if (event.causationId !== undefined) push(this.byCause, event.causationId, e)
    if (this.matches(e)) this.filtered.push(e)
    this.count(event.type, at)
    return e
  }

  private evict(): void {
    if (this.events.length <= this.maxEvents) return
    // Evict in chunks so a full log costs one O(n) pass per 10% of new events, not per event.
    const cut = this.events.length - this.maxEvents + Math.floor(this.maxEvents / 10)
    const gone = this.events.slice(0, cut)
    this.events = this.events.slice(cut)
    for (const e of gone) this.byId.delete(e.event.id)
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
    this.skipped = 0
    this.changed()
  }

  // ------------------------------------------------------------ filter and search

  /** Space- or comma-separated glob patterns (core's semantics); empty shows everything. */
  setFilter(text: string, search: string): void {
    this.filterText = text
    this.searchText = search
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
      !byType && !needle
        ? undefined
        : (e) => (!byType || byType(e.event.type)) && (!needle || searchable(e).includes(needle))
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

  /** Events/s for the last 60 seconds, per top topic (the rest summed as 'other'). */
  throughput(top = 5, endSecond = this.latestSecond): { seconds: number[]; series: { type: string; values: number[] }[] } {
    const seconds: number[] = []
    for (let s = endSecond - CHART_SECONDS + 1; s <= endSecond; s++) seconds.push(s)
    const totals = new Map<string, number>()
    for (const s of seconds) for (const [t, n] of this.buckets.get(s) ?? []) totals.set(t, (totals.get(t) ?? 0) + n)
    const tops = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, top).map(([t]) => t)
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
    return { seconds, series }
  }

  // ------------------------------------------------------------ export / import

  toExport(): ExportFile {
    const items: WireItem[] = []
    for (const e of this.events) {
      for (const d of e.deliveries) items.push({ kind: 'deliver', at: d.at, eventId: e.event.id, sub: d.sub, ms: d.ms, attempt: d.attempt })
      for (const f of e.errors)
        items.push({ kind: 'error', at: f.at, eventId: e.event.id, type: e.event.type, sub: f.sub, error: f.error, attempt: f.attempt, final: f.final })
      for (const r of e.refusals) items.push({ kind: r.kind, at: r.at, eventId: e.event.id, type: e.event.type, sub: r.sub, reason: r.reason })
      items.push({ kind: 'publish', at: e.at, event: e.event, ctx: e.ctx, receipt: e.receipt })
    }
    for (const s of this.subscriptions.values()) items.push({ kind: 'subscribe', at: 0, subscription: s })
    const file: ExportFile = { format: EXPORT_FORMAT, v: PROTOCOL_VERSION, exportedAt: Date.now(), items }
    if (this.agent) file.agent = this.agent
    return file
  }

  /** Loads an (already validated) export next to what is shown. */
  importFile(file: ExportFile): number {
    const before = this.events.length
    this.applyBatch({ items: file.items.filter((i) => i.kind !== 'publish' || !this.byId.has(i.event.id)), skipped: 0 })
    return this.events.length - before
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k)
  if (list) list.push(v)
  else m.set(k, [v])
}

function searchable(e: LoggedEvent): string {
  if (e.search === undefined) {
    let data = ''
    try {
      data = JSON.stringify(e.event.data) ?? ''
    } catch {
      data = ''
    }
    e.search = `${e.event.type} ${e.event.id} ${e.event.correlationId ?? ''} ${data}`.toLowerCase()
  }
  return e.search
}
