// What a receiving tab pays per shared event, by what it does with the event's type. The sender
// is a worker (connectTabs works there too), so the page's main thread only receives; the time
// is summed inside the BroadcastChannel 'message' listeners (Chromium deserializes a message when
// the listener reads event.data, so that is inside). Every run checks the counts.
import { createBus, type Bus } from '@tidings/core'
import { connectTabs, type TabsBridge } from '@tidings/tabs'
import type { BenchTable } from '../../../bench/types.ts'

const SMALL_EVENTS = 100_000
const LARGE_EVENTS = 5_000
/** Runs per mode and size. At 3 (all three receivers in one page) the no-route median moved
 *  0.85-1.15 µs between consecutive runs of the bench. */
const RUNS = 9
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Time spent in each channel object's 'message' listeners (ms), and every channel given one, in
 *  order; `readMs` is the part spent reading event.data (Chromium deserializes the message on
 *  that first read and keeps the result for later reads), so the rest is the listener's own. */
const listenerMs = new Map<BroadcastChannel, number>()
const readMs = new Map<BroadcastChannel, number>()
/** Per batch message of at least MIN_SAMPLE events: [µs per event in the listener, of which
 *  after reading event.data]. A batch takes ms (5,000 small events, or ~100 of 10 KB), so one
 *  that outside load preempted stands out from the rest instead of lifting a sum. */
const batchUs = new Map<BroadcastChannel, Array<[number, number]>>()
const MIN_SAMPLE = 50
const made: BroadcastChannel[] = []
const original = BroadcastChannel.prototype.addEventListener
// Wrap every 'message' listener added from now on with a timer.
BroadcastChannel.prototype.addEventListener = function (this: BroadcastChannel, type: string, fn: EventListenerOrEventListenerObject, opts?: boolean | AddEventListenerOptions) {
  if (type !== 'message' || typeof fn !== 'function') return original.call(this, type, fn, opts)
  made.push(this)
  const timed = (e: Event) => {
    const t0 = performance.now()
    const data = (e as MessageEvent).data as { batch?: { n?: unknown } } | null
    const t1 = performance.now()
    readMs.set(this, (readMs.get(this) ?? 0) + t1 - t0)
    try {
      fn.call(this, e)
    } finally {
      const t2 = performance.now()
      listenerMs.set(this, (listenerMs.get(this) ?? 0) + t2 - t0)
      const n = data?.batch?.n
      if (typeof n === 'number' && n >= MIN_SAMPLE) {
        const list = batchUs.get(this) ?? []
        list.push([((t2 - t0) * 1000) / n, ((t2 - t1) * 1000) / n])
        batchUs.set(this, list)
      }
    }
  }
  return original.call(this, type, timed, opts)
} as typeof BroadcastChannel.prototype.addEventListener

type Mode = 'no route' | 'one subscriber' | 'bare BroadcastChannel' | 'bare, no payload column'

interface Receiver {
  count(): number
  close(): Promise<void>
}

function receiver(mode: Mode, channel: string): Receiver {
  if (mode === 'bare BroadcastChannel' || mode === 'bare, no payload column') {
    // The floor: a listener that reads the message (deserializing it) and counts its events.
    // For 'bare, no payload column' the sender posts the same batches without `d`.
    const bc = new BroadcastChannel(`tidings.tabs:${channel}`)
    let n = 0
    bc.addEventListener('message', (e) => {
      const m = e.data as { kind?: string; batch?: { n: number } }
      if (m.kind === 'batch' && m.batch) n += m.batch.n
    })
    return { count: () => n, close: async () => bc.close() }
  }
  const bus: Bus = createBus()
  const bridge: TabsBridge = connectTabs(bus, { channel })
  let got = 0
  if (mode === 'one subscriber') bus.subscribe('r.x', () => void got++)
  return {
    count: () => (mode === 'no route' ? bridge.stats().unrouted : got),
    close: async () => {
      await bridge.close()
      await bus.shutdown()
    },
  }
}

/** One send, received at once by a receiver of each of `modes` (so load, GC and the messages are
 *  the same for all): µs per event for each receiver, in the order of `modes`. */
/** How long the sender takes for a run of each size with nobody receiving (ms; the longest of a
 *  few tries). During a timed run the page's thread is held busy for HOLD times that right after
 *  asking for the send, so the messages queue up and are read once the sender is done: read while
 *  the sender worker (and the browser's routing of its messages) ran on the other core, the same
 *  receiver measured 0.56 µs or 1.0-1.2 µs per event, run by run. */
const sendMs = new Map<number, number>()
const HOLD = 2

async function calibrate(worker: Worker, size: number): Promise<void> {
  const times: number[] = []
  for (let k = 0; k < 3; k++) {
    const sent = new Promise((res) => worker.addEventListener('message', res, { once: true }))
    const t0 = performance.now()
    worker.postMessage({ channel: `idle-${Math.random().toString(36).slice(2)}`, n: size > 1000 ? LARGE_EVENTS : SMALL_EVENTS, size }, [])
    await sent
    times.push(performance.now() - t0)
  }
  sendMs.set(size, Math.max(...times))
}

async function measure(worker: Worker, modes: readonly Mode[], size: number): Promise<{ us: number[]; readUs: number[]; batches: Array<Array<[number, number]>>; ok: boolean }> {
  const EVENTS = size > 1000 ? LARGE_EVENTS : SMALL_EVENTS
  const channel = `recv-${Math.random().toString(36).slice(2)}`
  const rs = modes.map((mode) => {
    const r = receiver(mode, channel)
    return { r, bc: made.at(-1)! }
  })
  // Idle time first, so garbage an earlier run left is collected before this one is timed.
  await sleep(300)
  listenerMs.clear()
  readMs.clear()
  batchUs.clear()
  const sent = new Promise((res) => worker.addEventListener('message', res, { once: true }))
  worker.postMessage({ channel, n: EVENTS, size, stripped: modes.includes('bare, no payload column') }, [])
  const until = performance.now() + (sendMs.get(size) ?? 0) * HOLD
  while (performance.now() < until) {
    // Held: the sender's messages queue up for this thread (see sendMs).
  }
  await sent
  const t0 = performance.now()
  while (rs.some(({ r }) => r.count() < EVENTS) && performance.now() - t0 < 60_000) await sleep(10)
  const ok = rs.every(({ r }) => r.count() === EVENTS)
  const us = rs.map(({ bc }) => ((listenerMs.get(bc) ?? 0) * 1000) / EVENTS)
  const readUs = rs.map(({ bc }) => ((readMs.get(bc) ?? 0) * 1000) / EVENTS)
  const batches = rs.map(({ bc }) => batchUs.get(bc) ?? [])
  for (const { r } of rs) await r.close()
  return { us, readUs, batches, ok }
}

const push = <T>(m: Map<string, T[]>, key: string, ...xs: T[]) => m.set(key, [...(m.get(key) ?? []), ...xs])
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`

export default async function run(): Promise<BenchTable> {
  const worker = new Worker(new URL('./tabs-sender-worker.ts', import.meta.url), { type: 'module' })
  let ok = true
  const notes: string[] = []
  const rows: (string | number)[][] = []
  const modes: Mode[] = ['no route', 'one subscriber', 'bare BroadcastChannel']
  await measure(worker, modes, 70) // warm-up
  for (const size of [70, 10_000]) await calibrate(worker, size)
  // Per mode and size: every batch's [µs per event, of which after reading event.data] over all
  // runs, each run's sum over the whole run, and each run's median batch.
  const batches = new Map<string, Array<[number, number]>>()
  const sums = new Map<string, number[]>()
  const runMedians = new Map<string, number[]>()
  for (let r = 0; r < RUNS; r++) {
    for (const size of [70, 10_000]) {
      // One receiver in the page at a time, as in a tab of its own: with all three in one page,
      // each paid for the others' garbage (their collections land in its reads), and the
      // no-route figure came out 0.85-1.00 µs against 0.58-0.68 µs alone. The modes take turns,
      // in an order that rotates run by run, so outside load reaches each of them alike.
      const these: Mode[] = size === 70 ? [...modes, 'bare, no payload column'] : modes
      for (let k = 0; k < these.length; k++) {
        const mode = these[(k + r) % these.length]!
        const m = await measure(worker, [mode], size)
        if (!m.ok) {
          ok = false
          notes.push(`${size} B, ${mode}: the receiver did not count all its events`)
        }
        const key = `${mode}|${size}`
        push(batches, key, ...m.batches[0]!)
        push(sums, key, m.us[0]!)
        push(sums, `${key}|own`, m.us[0]! - m.readUs[0]!)
        if (m.batches[0]!.length) push(runMedians, key, median(m.batches[0]!.map((x) => x[0])))
      }
    }
  }
  // 100 B: the median batch (5,000 events, ms long). 10 KB: a batch of ~100 events takes
  // 0.2-0.3 ms, two or three ticks of the coarsened clock, so there the median of the runs' sums.
  const per = (mode: Mode, size: number, k: 0 | 1) => {
    if (size !== 70) return median(sums.get(`${mode}|${size}${k === 1 ? '|own' : ''}`) ?? [NaN])
    const xs = batches.get(`${mode}|${size}`) ?? []
    return xs.length ? median(xs.map((x) => x[k])) : NaN
  }
  const cell = (mode: Mode, size: number) => per(mode, size, 0).toFixed(2)
  for (const size of [70, 10_000])
    rows.push([size === 70 ? '~100 B event' : '~10 KB event', cell('no route', size), cell('one subscriber', size), cell('bare BroadcastChannel', size), size === 70 ? cell('bare, no payload column', size) : ''])
  const ownCell = (mode: Mode, size: number) => per(mode, size, 1).toFixed(2)
  for (const size of [70, 10_000])
    rows.push([`${size === 70 ? '~100 B' : '~10 KB'}: of which after reading event.data (the listener's own work)`, ownCell('no route', size), ownCell('one subscriber', size), ownCell('bare BroadcastChannel', size), ''])
  const spread = (m: Map<string, number[]>, mode: Mode) => range(m.get(`${mode}|70`) ?? [NaN])
  rows.push(["~100 B: each run's median batch, lowest-highest", spread(runMedians, 'no route'), spread(runMedians, 'one subscriber'), spread(runMedians, 'bare BroadcastChannel'), spread(runMedians, 'bare, no payload column')])
  rows.push(['~100 B: each run summed over all its messages, lowest-highest (load lifts these)', spread(sums, 'no route'), spread(sums, 'one subscriber'), spread(sums, 'bare BroadcastChannel'), spread(sums, 'bare, no payload column')])
  const noRoute = per('no route', 70, 0)
  const own = per('no route', 70, 1)
  const runs = runMedians.get('no route|70') ?? []
  const over = runs.filter((x) => x > 1).length
  notes.push(
    `Target: a receiving tab with no route for a type pays <= 1 µs per event (100 B): ${noRoute <= 1 ? 'met' : 'NOT met'} in all (median batch ${noRoute.toFixed(2)} µs; runs' medians ${spread(runMedians, 'no route')} µs, ${over} of ${runs.length} over 1 µs); Tidings' own share, the time in its listener after event.data was read (deserialized), which any receiver pays first (bare: ${cell('bare BroadcastChannel', 70)} µs in all): ${own.toFixed(2)} µs, ${own <= 1 ? 'met' : 'NOT met'}. Of the bare read, the payload column is ${(per('bare BroadcastChannel', 70, 0) - per('bare, no payload column', 70, 0)).toFixed(2)} µs (the batch without it: ${cell('bare, no payload column', 70)} µs): the most deciding before the payloads are deserialized could save.`,
  )
  // 1 -> 8 receivers in one page: each receiver's own cost per event (the median batch of all of
  // them, median of 3 runs).
  const scale: string[] = []
  for (const tabs of [1, 2, 4, 8]) {
    const xs: number[] = []
    for (let r = 0; r < 3; r++) {
      const m = await measure(worker, Array.from({ length: tabs }, (): Mode => 'no route'), 70)
      if (!m.ok) ok = false
      xs.push(median(m.batches.flat().map((x) => x[0])))
    }
    scale.push(median(xs).toFixed(2))
  }
  rows.push(['no route, per receiver, 1 / 2 / 4 / 8 receivers in one page (100 B)', scale.join(' / '), '', '', ''])
  worker.terminate()
  notes.push(
    `µs of main-thread time per event per receiving tab, summed inside the channel listeners; ${SMALL_EVENTS.toLocaleString('en-US')} events (100 B) or ${LARGE_EVENTS.toLocaleString('en-US')} (10 KB) per run from a sender in a worker (batches of up to 5000), ${RUNS} runs; in each run one receiver of each mode in turn is alone in the page (as in a tab of its own; the order rotates run by run). Each 100 B figure is the median over every batch message of all runs of that batch's time per event (a batch holds 5,000 events and takes ms; the 10 KB ones are the median of the runs' sums, as a batch of ~100 such events lasts only 2-3 ticks of the coarsened clock): on 2 shared cores a run summed over all its messages swung 0.63-2.80 µs for the same receiver, as outside load preempted the page inside some batches; the median batch is the cost without the preemption (the lowest whole-run sums, garbage collection included, came within ~0.1 µs of it). "no route": nothing in the tab subscribes to the type (the tab skips the event from the batch's type column: stats().unrouted); "one subscriber": one handler (decode, envelope check, dedupe, delivery); "bare BroadcastChannel": a listener that only reads the message, the floor any receiver pays; "bare, no payload column": the same listener, with the sender posting the same batches without their payload column d (what a receiver would pay at least if it could decide "no route" before Chromium deserializes the payloads, which a single message does not allow: reading event.data deserializes all of it). Receivers in one page share its thread, so 1 -> 8 shows each receiver's own cost, not what separate tab processes would see in parallel. performance.now() is coarsened to 100 µs here: 2-3% of a batch of small events.`,
    `The sender alone took ${Math.round(sendMs.get(70)!)} ms (100 B) and ${Math.round(sendMs.get(10_000)!)} ms (10 KB) per run; the receiving page's thread was held busy for ${HOLD}x that after asking for each send, so it read the queued messages after the sender was done. Chromium headless, ${navigator.hardwareConcurrency} cores.`,
  )
  return {
    title: '@tidings/tabs: receive cost per event in a receiving tab (µs)',
    columns: ['event', 'no route', 'one subscriber', 'bare BroadcastChannel', 'bare, no payload column'],
    rows,
    notes,
    ok,
  }
}
