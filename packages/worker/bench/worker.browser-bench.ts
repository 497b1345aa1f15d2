// page -> worker event throughput over the bridge, and the round trip of an offloaded handler,
// each against plain Comlink calls made one by one. Verifies counts and order in the worker.
import { firstValueFrom } from 'rxjs'
import { wrap } from 'comlink'
import { createBus, type TidingsEvent } from '@tidings/core'
import { connectWorker, createWorkerPool } from '../src/index.ts'
import type { BenchTable } from '../../../bench/types.ts'

const EVENTS = 200_000
const COMLINK_EVENTS = 5_000
const CALLS = 3_000
/** performance.now() is clamped to 100 µs without cross-origin isolation: time blocks of calls. */
const BLOCK = 10
const RUNS = 5

interface ComlinkApi {
  add(n: number): number
  onEvent(e: { data: { i: number } }): void
  result(): { count: number; ordered: boolean }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const us = (ms: number) => `${Math.round(ms * 1000)} µs`

export default async function run(): Promise<BenchTable> {
  const notes: string[] = []
  let ok = true

  // ---- bridge throughput, one way
  const bus = createBus()
  const busWorker = new Worker(new URL('./bench-bus-worker.ts', import.meta.url), { type: 'module' })
  const bridge = connectWorker(bus, busWorker, { share: 'b.**' })
  await bridge.ready
  const rates: number[] = []
  const publishMs: number[] = []
  for (let r = 0; r < RUNS + 1; r++) {
    const done = firstValueFrom(bus.on('b.count'))
    const t0 = performance.now()
    for (let i = 0; i < EVENTS; i++) bus.publish('b.tick', { i })
    bus.publish('b.done')
    publishMs.push(performance.now() - t0)
    const result = (await done).data as { count: number; ordered: boolean }
    const ms = performance.now() - t0
    if (result.count !== EVENTS || !result.ordered) {
      ok = false
      notes.push(`bridge run ${r}: worker got ${result.count}/${EVENTS} events, ordered=${result.ordered}`)
    }
    if (r > 0) rates.push((EVENTS / ms) * 1000) // run 0 warms up the JIT on both sides
  }
  const bridgeRate = median(rates)
  // Reference in the same run: the same publishes on a bus with one plain subscriber, no bridge.
  const plain = createBus()
  let seen = 0
  plain.on('b.**').subscribe(() => seen++)
  const plainMs: number[] = []
  for (let r = 0; r < RUNS + 1; r++) {
    const t0 = performance.now()
    for (let i = 0; i < EVENTS; i++) plain.publish('b.tick', { i })
    plainMs.push(performance.now() - t0)
  }
  if (seen !== EVENTS * (RUNS + 1)) ok = false
  const stats = bridge.stats()
  bridge.close()
  busWorker.terminate()

  // ---- plain Comlink, one call per event, awaited one by one
  const cw = new Worker(new URL('./bench-comlink-worker.ts', import.meta.url), { type: 'module' })
  const remote = wrap<ComlinkApi>(cw)
  await remote.result()
  const comlinkRates: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now()
    for (let i = 0; i < COMLINK_EVENTS; i++) {
      const e: Pick<TidingsEvent, 'type' | 'data'> = { type: 'b.tick', data: { i } }
      await remote.onEvent(e as { data: { i: number } })
    }
    const res = await remote.result()
    const ms = performance.now() - t0
    if (res.count !== COMLINK_EVENTS || !res.ordered) {
      ok = false
      notes.push(`comlink run ${r}: worker got ${res.count}/${COMLINK_EVENTS}`)
    }
    comlinkRates.push((COMLINK_EVENTS / ms) * 1000)
  }
  const comlinkRate = median(comlinkRates)

  // ---- round trips: pool.handler through the bus vs plain Comlink
  const pool = createWorkerPool(() => new Worker(new URL('./bench-pool-worker.ts', import.meta.url), { type: 'module' }), { size: 1 })
  const handler = pool.handler<number>('add')
  const rtBus = createBus()
  const poolTimes: number[] = []
  let resolveNext: ((v: number) => void) | undefined
  rtBus.subscribe('job.add', (e, ctx) => handler(e, ctx).then((v) => resolveNext?.(v)))
  await handler({ id: 'w', type: 'job.add', timestamp: 0, version: 1, data: { n: 0 }, origin: 'x', seq: 0 })
  let wrong = 0
  for (let b = 0; b < CALLS / BLOCK; b++) {
    const t0 = performance.now()
    for (let j = 0; j < BLOCK; j++) {
      const i = b * BLOCK + j
      const got = new Promise<number>((r) => (resolveNext = r))
      rtBus.publish('job.add', { n: i })
      if ((await got) !== i + 1) wrong++
    }
    poolTimes.push((performance.now() - t0) / BLOCK)
  }
  // The same calls without the bus: pool.call directly.
  const directTimes: number[] = []
  for (let b = 0; b < CALLS / BLOCK; b++) {
    const t0 = performance.now()
    for (let j = 0; j < BLOCK; j++) {
      const i = b * BLOCK + j
      const v = await pool.call<number>('add', { id: 'd', type: 'job.add', timestamp: 0, version: 1, data: { n: i }, origin: 'x', seq: i })
      if (v !== i + 1) wrong++
    }
    directTimes.push((performance.now() - t0) / BLOCK)
  }
  directTimes.sort((a, b) => a - b)
  pool.terminate()
  if (wrong) {
    ok = false
    notes.push(`pool: ${wrong} wrong results`)
  }

  const comlinkTimes: number[] = []
  for (let b = 0; b < CALLS / BLOCK; b++) {
    const t0 = performance.now()
    for (let j = 0; j < BLOCK; j++) {
      const i = b * BLOCK + j
      if ((await remote.add(i)) !== i + 1) ok = false
    }
    comlinkTimes.push((performance.now() - t0) / BLOCK)
  }
  cw.terminate()
  poolTimes.sort((a, b) => a - b)
  comlinkTimes.sort((a, b) => a - b)

  const pagePublish = median(publishMs.slice(1))
  notes.push(
    `Page side alone: publishing the ${fmt(EVENTS)} events (bus + bridge checks + column encoding + postMessage) takes ${pagePublish.toFixed(0)} ms ` +
      `(${fmt((EVENTS / pagePublish) * 1000)} events/s; the same publishes without a bridge: ${median(plainMs.slice(1)).toFixed(0)} ms); the rest of the time is the worker decoding, validating and re-publishing. Runs: ${rates.map(fmt).join(', ')} events/s.`,
  )
  notes.push(
    `Bridge: ${fmt(EVENTS)} events published in one burst, timed until the worker confirms it counted all of them in order; ` +
      `median of ${RUNS} runs after a warm-up. ${stats.batches} postMessage batches for ${fmt(stats.sent)} events in the last run set. Target >= 200,000 events/s: ${bridgeRate >= 200_000 ? 'met' : 'NOT met'}.`,
    `Comlink one by one: each event is an awaited remote call (${fmt(COMLINK_EVENTS)} events).`,
    `Round trips: ${fmt(CALLS)} sequential calls; pool = bus.publish -> subscribe(pool.handler) -> worker -> result back on the page; Comlink = await remote.add(i). ` +
      `Percentiles are over blocks of ${BLOCK} sequential calls (per-call mean of each block), because performance.now() is clamped to 100 µs here.`,
    `Chromium headless, ${navigator.hardwareConcurrency} cores.`,
  )

  return {
    title: '@tidings/worker: page -> worker events and offloaded handler round trips',
    columns: ['measure', 'Tidings', 'plain Comlink (one by one)', 'ratio'],
    rows: [
      ['events/s page -> worker (one way)', fmt(bridgeRate), fmt(comlinkRate), `${(bridgeRate / comlinkRate).toFixed(1)}x`],
      ['round trip p50', us(pct(poolTimes, 50)), us(pct(comlinkTimes, 50)), `${(pct(poolTimes, 50) / pct(comlinkTimes, 50)).toFixed(2)}x`],
      ['round trip p99', us(pct(poolTimes, 99)), us(pct(comlinkTimes, 99)), `${(pct(poolTimes, 99) / pct(comlinkTimes, 99)).toFixed(2)}x`],
      ['round trip p50, pool.call without the bus', us(pct(directTimes, 50)), us(pct(comlinkTimes, 50)), `${(pct(directTimes, 50) / pct(comlinkTimes, 50)).toFixed(2)}x`],
      ['round trip p99, pool.call without the bus', us(pct(directTimes, 99)), us(pct(comlinkTimes, 99)), `${(pct(directTimes, 99) / pct(comlinkTimes, 99)).toFixed(2)}x`],
    ],
    notes,
    ok,
  }
}
