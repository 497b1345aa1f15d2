// Tab-to-tab benchmark: two buses in one page, each bridged by connectTabs over its own
// BroadcastChannel object (what two tabs do, except that here sender and receiver share one main
// thread, so the figure is the sum of both sides' costs: a conservative bound for real tabs,
// which run in separate processes). Every run checks count, per-origin order and duplicates.
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import { connectTabs, type TabsBridge, type TabsOptions } from '@tidings/tabs'
import type { BenchTable } from '../../../bench/types.ts'
import { yieldTask } from '../../../bench/yield-task.ts'

const THROUGHPUT_EVENTS = 200_000
const CHUNK = 5000
const RUNS = 5
const LATENCY_RATE = 1000 // events per second
const LATENCY_SECONDS = 3

interface Pair {
  sender: Bus
  receiver: Bus
  out: TabsBridge
  in: TabsBridge
  close(): Promise<void>
}

async function pair(opts: TabsOptions = {}): Promise<Pair> {
  const channel = `bench-${Math.random().toString(36).slice(2)}`
  const sender = createBus({ name: 'sender' })
  const receiver = createBus({ name: 'receiver' })
  const out = connectTabs(sender, { channel, share: 'bench.**', ...opts })
  const inb = connectTabs(receiver, { channel, share: 'bench.**', ...opts })
  await Promise.all([out.ready, inb.ready])
  return {
    sender,
    receiver,
    out,
    in: inb,
    async close() {
      await out.close()
      await inb.close()
      await sender.shutdown()
      await receiver.shutdown()
    },
  }
}

interface ThroughputResult {
  eventsPerSec: number
  ok: boolean
  detail: string
}

async function throughput(opts: TabsOptions, total: number): Promise<ThroughputResult> {
  const p = await pair(opts)
  let received = 0
  let expectedN = 0
  let lastSeq = -1
  let inOrder = true
  const ids = new Set<string>()
  let done!: () => void
  const finished = new Promise<void>((r) => {
    done = r
  })
  p.receiver.subscribe('bench.**', (e: TidingsEvent) => {
    const n = (e.data as { n: number }).n
    if (n !== expectedN || e.seq <= lastSeq) inOrder = false
    expectedN = n + 1
    lastSeq = e.seq
    ids.add(e.id)
    if (++received === total) done()
  })
  const t0 = performance.now()
  for (let start = 0; start < total; start += CHUNK) {
    const end = Math.min(total, start + CHUNK)
    for (let n = start; n < end; n++) p.sender.publish('bench.tick', { n })
    // Let the channel deliver, as a real app yields between bursts.
    await yieldTask()
  }
  await Promise.race([finished, new Promise((r) => setTimeout(r, 60_000))])
  const ms = performance.now() - t0
  const s = p.in.stats()
  await p.close()
  const ok = received === total && inOrder && ids.size === total && s.duplicates === 0 && s.gaps === 0
  return {
    eventsPerSec: (received / ms) * 1000,
    ok,
    detail: `received ${received}/${total}, unique ${ids.size}, in order ${inOrder}, gaps ${s.gaps}, batches ${s.batchesReceived}`,
  }
}

interface LatencyResult {
  p50: number
  p99: number
  max: number
  count: number
  ok: boolean
}

async function latency(opts: TabsOptions): Promise<LatencyResult> {
  const p = await pair(opts)
  const total = LATENCY_RATE * LATENCY_SECONDS
  const lat: number[] = []
  let expectedN = 0
  let inOrder = true
  p.receiver.subscribe('bench.**', (e: TidingsEvent) => {
    const d = e.data as { n: number; t: number }
    if (d.n !== expectedN) inOrder = false
    expectedN = d.n + 1
    lat.push(performance.now() - d.t)
  })
  const t0 = performance.now()
  let sent = 0
  // Publishes the events that are due on each timer tick (timers run every 1-4 ms), so the
  // rate is a steady 1k events/s without a busy loop starving the browser process, which
  // routes BroadcastChannel messages.
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * LATENCY_RATE) / 1000) + 1)
    while (sent < due) p.sender.publish('bench.tick', { n: sent++, t: performance.now() })
    await new Promise((r) => setTimeout(r, 1))
  }
  const wait = performance.now()
  while (lat.length < total && performance.now() - wait < 10_000) await new Promise((r) => setTimeout(r, 5))
  await p.close()
  const sorted = [...lat].sort((a, b) => a - b)
  const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? Number.NaN
  return { p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? Number.NaN, count: lat.length, ok: lat.length === total && inOrder }
}

/** The same 1k/s schedule over two bare BroadcastChannel objects: the floor under our latency. */
async function rawLatency(): Promise<LatencyResult> {
  const name = `bench-raw-${Math.random().toString(36).slice(2)}`
  const tx = new BroadcastChannel(name)
  const rx = new BroadcastChannel(name)
  const total = LATENCY_RATE * LATENCY_SECONDS
  const lat: number[] = []
  rx.addEventListener('message', (m: MessageEvent) => lat.push(performance.now() - (m.data as { t: number }).t))
  const t0 = performance.now()
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * LATENCY_RATE) / 1000) + 1)
    while (sent < due) {
      sent++
      // oxlint-disable-next-line unicorn/require-post-message-target-origin
      tx.postMessage({ t: performance.now() })
    }
    await new Promise((r) => setTimeout(r, 1))
  }
  const wait = performance.now()
  while (lat.length < total && performance.now() - wait < 10_000) await new Promise((r) => setTimeout(r, 5))
  tx.close()
  rx.close()
  const sorted = [...lat].sort((a, b) => a - b)
  const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? Number.NaN
  return { p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? Number.NaN, count: lat.length, ok: lat.length === total }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => n.toFixed(2)

export default async function tabsBench(): Promise<BenchTable> {
  const KEY = 'benchmark shared secret 0123456789'
  const rows: (string | number)[][] = []
  const notes: string[] = []
  let ok = true

  // Warm-up (JIT, Vite module graph).
  await throughput({}, 20_000)

  for (const [label, opts, total] of [
    ['unsigned', {}, THROUGHPUT_EVENTS],
    ['signed (HMAC-SHA-256)', { key: KEY }, THROUGHPUT_EVENTS / 2],
  ] as const) {
    const results: ThroughputResult[] = []
    for (let i = 0; i < RUNS; i++) results.push(await throughput(opts, total))
    const rate = median(results.map((r) => r.eventsPerSec))
    const allOk = results.every((r) => r.ok)
    ok &&= allOk
    rows.push([`throughput, ${label}`, total, fmt(rate), '', '', allOk ? 'yes' : 'NO'])
    if (!allOk) notes.push(`${label}: ${results.map((r) => r.detail).join(' | ')}`)
    if (label === 'unsigned') notes.push(`target >= 100,000 events/s with order kept: ${rate >= 100_000 && allOk ? 'met' : 'NOT met'} (${fmt(rate)}/s, median of ${RUNS})`)
  }

  for (const [label, opts] of [
    ['unsigned', {}],
    ['signed (HMAC-SHA-256)', { key: KEY }],
  ] as const) {
    const r = await latency(opts)
    ok &&= r.ok
    rows.push([`latency at 1k events/s, ${label}`, r.count, fmt(LATENCY_RATE), ms(r.p50), ms(r.p99), r.ok ? 'yes' : 'NO'])
    notes.push(`latency ${label}: max ${ms(r.max)} ms over ${r.count} events`)
  }
  const raw = await rawLatency()
  rows.push(['latency at 1k events/s, bare BroadcastChannel (baseline)', raw.count, fmt(LATENCY_RATE), ms(raw.p50), ms(raw.p99), raw.ok ? 'n/a' : 'lost messages'])
  notes.push(
    'Two buses in one page on separate BroadcastChannel objects: sender and receiver share one main thread, so throughput is the sum of both sides (publish, batch, structured clone, validate with checkEnvelope, dedupe, ingest).',
    `Throughput: ${CHUNK} events published per task, then a yield; every run checks count, per-origin order, unique ids and gaps.`,
  )
  return {
    title: 'tabs: tab-to-tab over BroadcastChannel (connectTabs)',
    columns: ['case', 'events', 'events/s', 'p50 ms', 'p99 ms', 'order kept'],
    rows,
    notes,
    ok,
  }
}
