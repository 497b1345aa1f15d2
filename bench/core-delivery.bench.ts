// Core delivery: heap per queued event, queued async-handler throughput (concurrency 1 and 8) and
// request/reply round trips, Tidings next to EventEmitter2 emitAsync and RxJS mergeMap.
// One process per library. A library without the feature a row measures shows n/a (not implemented).
import { clock, formatRate, formatRatio, type RateResult } from './harness.ts'
import { attempt, formatSpread, isFailed, isNotApplicable, progress, spreadOf, type Failed, type NotApplicable, type Outcomes, type Spread } from './node-bench.ts'
import { BURST } from './delivery/burst.ts'
import { orNotApplicable } from './delivery/not-available.ts'
import { ee2AsyncThroughput, ee2RequestReply, rxjsAsyncThroughput, rxjsRequestReply } from './delivery/peers.ts'
import { heapPerQueuedEvent, queuedThroughput, requestReply, type HeapResult } from './delivery/tidings.ts'
import type { BenchTable } from './types.ts'

export const libraries = ['tidings', 'eventemitter2', 'rxjs']
/** Process rounds per library, interleaved; rates report the median round and the spread, heap is
 *  measured in round 1. */
export const rounds = 5
const LABELS: Record<string, string> = {
  tidings: 'Tidings',
  eventemitter2: 'EventEmitter2 emitAsync',
  rxjs: 'RxJS mergeMap',
}

const HEAP_EVENTS = 1_000_000
const QUEUED_OPS = 50_000
const RR_OPS = 20_000
const HEAP_TARGET = 150

type Metric = RateResult | NotApplicable | Failed
export interface DeliveryResult {
  heap: HeapResult | NotApplicable | Failed
  queued1: Metric
  queued8: Metric
  rr1: Metric
  rr8: Metric
}

const ROWS = [
  { key: 'queued1', label: 'queued async handler, concurrency 1', unit: 'events/s' },
  { key: 'queued8', label: 'queued async handler, concurrency 8', unit: 'events/s' },
  { key: 'rr1', label: 'request/reply, 1 in flight', unit: 'round trips/s' },
  { key: 'rr8', label: 'request/reply, 8 in flight', unit: 'round trips/s' },
] as const
type RateKey = (typeof ROWS)[number]['key']

const noQueue: NotApplicable = { na: 'no subscription queue' }
const HEAP_LATER: NotApplicable = { na: 'measured in round 1 only' }

function show(label: string, m: Metric | HeapResult): void {
  if (isFailed(m)) return // attempt() has logged it
  if (isNotApplicable(m)) progress(`${label}: n/a (${m.na})`)
  else if ('bytesPerEvent' in m) progress(`${label}: ${m.bytesPerEvent.toFixed(1)} bytes/event`)
  else progress(`${label}: ${formatRate(m.perSec)}/s`)
}

async function step<T extends Metric | HeapResult>(label: string, fn: () => Promise<T | NotApplicable>) {
  const m = await attempt(label, fn)
  show(label, m)
  return m
}

export async function measure(library: string, round = 0): Promise<DeliveryResult> {
  if (library === 'tidings') {
    const gcAvailable = typeof (globalThis as { gc?: unknown }).gc === 'function'
    return {
      heap:
        round > 0
          ? HEAP_LATER
          : await step('heap per queued event', () =>
              gcAvailable ? orNotApplicable(() => heapPerQueuedEvent(HEAP_EVENTS)) : Promise.resolve({ na: 'run with node --expose-gc' }),
            ),
      queued1: await step('queued, concurrency 1', () => orNotApplicable(() => queuedThroughput(1, QUEUED_OPS))),
      queued8: await step('queued, concurrency 8', () => orNotApplicable(() => queuedThroughput(8, QUEUED_OPS))),
      rr1: await step('request/reply, 1 in flight', () => orNotApplicable(() => requestReply(1, RR_OPS))),
      rr8: await step('request/reply, 8 in flight', () => orNotApplicable(() => requestReply(8, RR_OPS))),
    }
  }
  if (library === 'eventemitter2') {
    return {
      heap: noQueue,
      queued1: await step('emitAsync, 1 in flight', () => ee2AsyncThroughput(1, QUEUED_OPS)),
      queued8: await step('emitAsync, 8 in flight', () => ee2AsyncThroughput(8, QUEUED_OPS)),
      rr1: await step('emitAsync round trip, 1 in flight', () => ee2RequestReply(1, RR_OPS)),
      rr8: await step('emitAsync round trip, 8 in flight', () => ee2RequestReply(8, RR_OPS)),
    }
  }
  if (library === 'rxjs') {
    return {
      heap: noQueue,
      queued1: await step('mergeMap, concurrency 1', () => rxjsAsyncThroughput(1, QUEUED_OPS)),
      queued8: await step('mergeMap, concurrency 8', () => rxjsAsyncThroughput(8, QUEUED_OPS)),
      rr1: await step('Subject request/reply, 1 in flight', () => rxjsRequestReply(1, RR_OPS)),
      rr8: await step('Subject request/reply, 8 in flight', () => rxjsRequestReply(8, RR_OPS)),
    }
  }
  throw new Error(`unknown library ${library}; expected one of ${libraries.join(', ')}`)
}

const rateOf = (m: Metric | undefined): number | undefined => (m && 'perSec' in m ? m.perSec : undefined)

export function report(outcomes: Outcomes<DeliveryResult>): BenchTable {
  const roundsOf = (lib: string): DeliveryResult[] => {
    const o = outcomes[lib]
    return o?.ok ? o.rounds : []
  }
  /** The first failure or n/a of any round, else undefined (then rates exist). */
  const other = (lib: string, key: RateKey): Failed | NotApplicable | undefined =>
    roundsOf(lib).map((r) => r[key]).find(isFailed) ?? roundsOf(lib).map((r) => r[key]).find(isNotApplicable)
  const heapOf = (lib: string): HeapResult | NotApplicable | Failed | undefined => roundsOf(lib)[0]?.heap
  const rates = (lib: string, key: RateKey): Spread | undefined => spreadOf(roundsOf(lib).map((r) => rateOf(r[key])))
  const cell = (lib: string, key: RateKey): string => {
    const o = outcomes[lib]
    if (!o) return 'not run'
    if (!o.ok) return 'FAILED'
    const m = other(lib, key)
    if (m && isFailed(m)) return 'FAILED'
    if (m) return lib === 'tidings' ? 'n/a (not implemented)' : 'n/a'
    const r = rates(lib, key)
    return r ? formatRate(r.median) + formatSpread(r) : 'n/a'
  }
  /** The median of per-round ratios (round i of each library ran side by side). */
  const ratioOf = (key: RateKey, peer: string): Spread | undefined => {
    const a = roundsOf('tidings')
    const b = roundsOf(peer)
    const per: number[] = []
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = rateOf(a[i]?.[key])
      const y = rateOf(b[i]?.[key])
      if (x !== undefined && y !== undefined && y > 0) per.push(x / y)
    }
    return spreadOf(per)
  }
  const ratio = (key: RateKey, peer: string) => {
    const r = ratioOf(key, peer)
    return r === undefined ? 'n/a' : formatRatio(r.median) + formatSpread(r)
  }
  const heapCell = (lib: string): string => {
    const o = outcomes[lib]
    if (!o) return 'not run'
    if (!o.ok) return 'FAILED'
    const h = heapOf(lib)
    if (!h) return 'n/a'
    if (isFailed(h)) return 'FAILED'
    if (isNotApplicable(h)) return lib === 'tidings' && h.na.startsWith('not implemented') ? 'n/a (not implemented)' : 'n/a'
    return h.bytesPerEvent.toFixed(1)
  }
  const rows: (string | number)[][] = [
    [`heap per queued event (${HEAP_EVENTS.toLocaleString('en-US')} queued, payload shared)`, 'bytes', ...libraries.map(heapCell), 'n/a', 'n/a'],
    ...ROWS.map((r) => [r.label, r.unit, ...libraries.map((lib) => cell(lib, r.key)), ratio(r.key, 'eventemitter2'), ratio(r.key, 'rxjs')]),
  ]
  const notes: string[] = []
  const heap = heapOf('tidings')
  if (heap && 'bytesPerEvent' in heap) {
    notes.push(
      `Target heap per queued event <= ${HEAP_TARGET} bytes beyond the payload: ${heap.bytesPerEvent.toFixed(1)} bytes, ` +
        `**${heap.bytesPerEvent <= HEAP_TARGET ? 'met' : 'not met'}** (seed 001 quotes ~500).`,
    )
  } else {
    notes.push(`Target heap per queued event <= ${HEAP_TARGET} bytes: not measured${heap && isNotApplicable(heap) ? ` (${heap.na})` : ''}.`)
  }
  for (const key of ['rr1', 'rr8'] as const) {
    const r = ratioOf(key, 'eventemitter2')
    const label = ROWS.find((x) => x.key === key)!.label
    notes.push(
      r === undefined
        ? `Target ${label}: Tidings >= 1x EventEmitter2 emitAsync: not measured`
        : `Target ${label}: Tidings >= 1x EventEmitter2 emitAsync: ${formatRatio(r.median)} (median of ${r.n} rounds, ` +
            `range ${formatRatio(r.min)}-${formatRatio(r.max)}), **${r.median >= 1 ? 'met' : 'not met'}**`,
    )
  }
  const na = [
    ...new Set(
      roundsOf('tidings').flatMap((r) =>
        Object.values(r)
          .filter(isNotApplicable)
          .map((m) => m.na),
      ),
    ),
  ].filter((r) => r.startsWith('not implemented'))
  for (const reason of na) notes.push(`Tidings: ${reason}.`)
  notes.push(
    `Heap: node --expose-gc, heapUsed after a full GC, measured from before subscribe() to after ${HEAP_EVENTS.toLocaleString('en-US')} ` +
      'publishes into one queue whose (async) handler is blocked; the payload object is shared, so the figure is the envelope ' +
      'plus the queue slot. The queue then drains and every event is counted.',
    `Queued: ${QUEUED_OPS.toLocaleString('en-US')} events per run through an async handler that does no I/O (so it measures ` +
      `the queueing/await machinery), published in bursts of ${BURST.toLocaleString('en-US')} that are drained before the ` +
      'next. Tidings: bus.subscribe(type, asyncHandler, { queue, concurrency }). RxJS: Subject -> mergeMap(asyncHandler, ' +
      'concurrency). EventEmitter2 has no queue: `concurrency` lanes each await emitAsync in turn.',
    `Request/reply: ${RR_OPS.toLocaleString('en-US')} round trips per run, every reply and the count of answered requests ` +
      'checked. Tidings bus.request/bus.reply: a full envelope (id, timestamp, seq) per request, the default 5 s timeout, ' +
      'the no-responder check and first-reply-wins tracking (no reply route may remain afterwards). EventEmitter2 emitAsync ' +
      'returning the listener result does less: a direct call of the listener, with no correlation id, envelope, timeout ' +
      'or responder check. RxJS: request and reply Subjects with correlation ids and a pending map, no timeout.',
    `Rates: ${rounds} process rounds per library (a fresh process each, the libraries alternating round by round); a ` +
      `round reports the median of 5 timed runs (${clock.name}) after one warm-up run; cells show the median round ± half ` +
      'the range, ratios the median of the per-round ratios.',
  )
  const failures = libraries.flatMap((lib) => {
    const o = outcomes[lib]
    const name = LABELS[lib] ?? lib
    if (o && !o.ok) return [`${name} FAILED: ${o.error.split('\n')[0]}`]
    const h = heapOf(lib)
    return [
      ...(isFailed(h) ? [`${name} FAILED heap per queued event: ${h.failed}`] : []),
      ...ROWS.flatMap((r) => {
        const m = other(lib, r.key)
        return m && isFailed(m) ? [`${name} FAILED ${r.label}: ${m.failed}`] : []
      }),
    ]
  })
  notes.push(...failures)
  return {
    title: 'Core delivery: queues and request/reply vs peers (Node)',
    columns: ['Measurement', 'Unit', ...libraries.map((l) => LABELS[l] ?? l), 'Tidings / EE2', 'Tidings / RxJS'],
    rows,
    notes,
    ok: failures.length === 0,
  }
}
