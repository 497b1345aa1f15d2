// Browser → NATS → browser: two buses in one page, each with its own WebSocket connection to a
// real nats-server (two devices), against the raw @nats-io/nats-core client doing the same work
// (JSON payloads, one message per event, a subscriber counting them) in the same run. Rounds
// alternate bridge and raw; medians. Every run checks count and order.
// The server comes from VITE_NATS_WS, set by `npm run bench` or `node packages/nats/bench/run.mjs`,
// which start a nats-server for the run; without one installed the table says so and is skipped.
import { wsconnect, type NatsConnection } from '@nats-io/nats-core'
import { createBus, type TidingsEvent } from '@tidings/core'
import type { BenchTable } from '../../../bench/types.ts'
import { yieldTask } from '../../../bench/yield-task.ts'
import { connectNats } from '../src/index.ts'

const EVENTS = 20_000
const CHUNK = 1000
const ROUNDS = 5
const LATENCY_SAMPLES = 500

interface Run {
  perSec: number
  ok: boolean
}

const f = (n: number) => n.toFixed(2)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN
}

function deadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))])
}

async function bridgeThroughput(ws: string, subject: string): Promise<Run> {
  const a = createBus({ name: 'a' })
  const b = createBus({ name: 'b' })
  const na = connectNats(a, { servers: ws, share: 'bench.**', subject, leader: false, maxBuffered: EVENTS })
  const nb = connectNats(b, { servers: ws, share: 'bench.**', subject, leader: false })
  await Promise.all([na.whenConnected(), nb.whenConnected()])
  let got = 0
  let next = 0
  let inOrder = true
  let done!: () => void
  const finished = new Promise<void>((r) => (done = r))
  b.on('bench.**').subscribe((e: TidingsEvent) => {
    if ((e.data as { n: number }).n !== next) inOrder = false
    next++
    if (++got === EVENTS) done()
  })
  const t0 = performance.now()
  for (let start = 0; start < EVENTS; start += CHUNK) {
    for (let n = start; n < start + CHUNK; n++) a.publish('bench.tick', { n, text: 'hello' })
    await yieldTask()
  }
  await deadline(finished, 60_000)
  const ms = performance.now() - t0
  await na.close()
  await nb.close()
  await a.shutdown()
  await b.shutdown()
  return { perSec: (got / ms) * 1000, ok: got === EVENTS && inOrder }
}

async function rawPair(ws: string): Promise<[NatsConnection, NatsConnection]> {
  return [await wsconnect({ servers: ws, noEcho: true }), await wsconnect({ servers: ws, noEcho: true })]
}

async function rawThroughput(ws: string, subject: string): Promise<Run> {
  const [tx, rx] = await rawPair(ws)
  const enc = new TextEncoder()
  const dec = new TextDecoder()
  let got = 0
  let next = 0
  let inOrder = true
  let done!: () => void
  const finished = new Promise<void>((r) => (done = r))
  rx.subscribe(subject + '.bench.>', {
    callback: (_err, m) => {
      if ((JSON.parse(dec.decode(m.data)) as { n: number }).n !== next) inOrder = false
      next++
      if (++got === EVENTS) done()
    },
  })
  await rx.flush()
  const t0 = performance.now()
  for (let start = 0; start < EVENTS; start += CHUNK) {
    for (let n = start; n < start + CHUNK; n++) tx.publish(subject + '.bench.tick', enc.encode(JSON.stringify({ n, text: 'hello' })))
    await yieldTask()
  }
  await deadline(finished, 60_000)
  const ms = performance.now() - t0
  await tx.close()
  await rx.close()
  return { perSec: (got / ms) * 1000, ok: got === EVENTS && inOrder }
}

/** One event at a time, the next sent when the previous arrived: one-way latency in ms. */
async function bridgeLatency(ws: string, subject: string): Promise<number[]> {
  const a = createBus({ name: 'a' })
  const b = createBus({ name: 'b' })
  const na = connectNats(a, { servers: ws, share: 'lat.**', subject, leader: false })
  const nb = connectNats(b, { servers: ws, share: 'lat.**', subject, leader: false })
  await Promise.all([na.whenConnected(), nb.whenConnected()])
  const lat: number[] = []
  let arrived: (() => void) | undefined
  b.on('lat.**').subscribe((e) => {
    lat.push(performance.now() - (e.data as { t: number }).t)
    arrived?.()
  })
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const p = new Promise<void>((r) => (arrived = r))
    a.publish('lat.tick', { i, t: performance.now() })
    await deadline(p, 5000)
  }
  await na.close()
  await nb.close()
  await a.shutdown()
  await b.shutdown()
  return lat
}

async function rawLatency(ws: string, subject: string): Promise<number[]> {
  const [tx, rx] = await rawPair(ws)
  const enc = new TextEncoder()
  const dec = new TextDecoder()
  const lat: number[] = []
  let arrived: (() => void) | undefined
  rx.subscribe(subject + '.lat.>', {
    callback: (_err, m) => {
      lat.push(performance.now() - (JSON.parse(dec.decode(m.data)) as { t: number }).t)
      arrived?.()
    },
  })
  await rx.flush()
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const p = new Promise<void>((r) => (arrived = r))
    tx.publish(subject + '.lat.tick', enc.encode(JSON.stringify({ i, t: performance.now() })))
    await deadline(p, 5000)
  }
  await tx.close()
  await rx.close()
  return lat
}

export default async function run(): Promise<BenchTable> {
  const title = 'NATS: browser → nats-server → browser (two WebSocket connections in one page)'
  const ws = (import.meta as unknown as { env: Record<string, string | undefined> }).env['VITE_NATS_WS']
  if (!ws) {
    return {
      title,
      columns: ['note'],
      rows: [['skipped: no nats-server (install it: apt-get install -y nats-server, or set NATS_SERVER); `npm run bench` then starts one for the run.']],
      ok: true,
    }
  }
  const bridge: Run[] = []
  const raw: Run[] = []
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so a burst of outside load hits both.
    const subject = `bench.r${r}`
    if (r % 2 === 0) {
      bridge.push(await bridgeThroughput(ws, subject + 'b'))
      raw.push(await rawThroughput(ws, subject + 'r'))
    } else {
      raw.push(await rawThroughput(ws, subject + 'r'))
      bridge.push(await bridgeThroughput(ws, subject + 'b'))
    }
  }
  const bl = await bridgeLatency(ws, 'bench.lb')
  const rl = await rawLatency(ws, 'bench.lr')
  const b = median(bridge.map((x) => x.perSec))
  const w = median(raw.map((x) => x.perSec))
  const spread = (xs: Run[]) => `${Math.round(Math.min(...xs.map((x) => x.perSec))).toLocaleString('en')}–${Math.round(Math.max(...xs.map((x) => x.perSec))).toLocaleString('en')}`
  const ok = bridge.every((x) => x.ok) && raw.every((x) => x.ok) && bl.length === LATENCY_SAMPLES && rl.length === LATENCY_SAMPLES
  const ratio = b / w
  return {
    title,
    columns: ['', 'events/s (median)', 'spread', 'latency p50 ms', 'latency p99 ms'],
    rows: [
      ['Tidings bridge (connectNats)', Math.round(b).toLocaleString('en'), spread(bridge), f(quantile(bl, 0.5)), f(quantile(bl, 0.99))],
      ['raw @nats-io/nats-core (JSON)', Math.round(w).toLocaleString('en'), spread(raw), f(quantile(rl, 0.5)), f(quantile(rl, 0.99))],
      ['bridge / raw', `${f(ratio)}x`, '', '', ''],
    ],
    notes: [
      `${EVENTS.toLocaleString('en')} events per run in bursts of ${CHUNK}, ${ROUNDS} rounds alternating; wall clock (both sides share one page's main thread). Latency: ${LATENCY_SAMPLES} events one at a time.`,
      `The bridge sends whole envelopes (JSON for plain data, the type-preserving encoding otherwise), a run of same-type events per message, and validates every event on arrival; the raw client sends JSON of the data alone, one message per event.`,
      `Target ≥ 0.80x the raw client: ${ratio >= 0.8 ? '**met**' : '**not met**'}.`,
    ],
    ok,
  }
}
