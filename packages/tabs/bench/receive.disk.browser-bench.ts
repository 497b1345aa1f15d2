// What a receiving tab pays per shared event, by what it does with the event's type. The sender
// is a worker (connectTabs works there too), so the page's main thread only receives; the time
// is summed inside the BroadcastChannel 'message' listeners (Chromium deserializes a message when
// the listener reads event.data, so that is inside). Every run checks the counts.
import { createBus, type Bus } from '@tidings/core'
import { connectTabs, type TabsBridge } from '@tidings/tabs'
import type { BenchTable } from '../../../bench/types.ts'

const SMALL_EVENTS = 100_000
const LARGE_EVENTS = 5_000
const RUNS = 3
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Time spent in each channel object's 'message' listeners (ms), and every channel given one, in
 *  order; `readMs` is the part spent reading event.data (Chromium deserializes the message on
 *  that first read and keeps the result for later reads), so the rest is the listener's own. */
const listenerMs = new Map<BroadcastChannel, number>()
const readMs = new Map<BroadcastChannel, number>()
const made: BroadcastChannel[] = []
const original = BroadcastChannel.prototype.addEventListener
// Wrap every 'message' listener added from now on with a timer.
BroadcastChannel.prototype.addEventListener = function (this: BroadcastChannel, type: string, fn: EventListenerOrEventListenerObject, opts?: boolean | AddEventListenerOptions) {
  if (type !== 'message' || typeof fn !== 'function') return original.call(this, type, fn, opts)
  made.push(this)
  const timed = (e: Event) => {
    const t0 = performance.now()
    void (e as MessageEvent).data
    readMs.set(this, (readMs.get(this) ?? 0) + performance.now() - t0)
    try {
      fn.call(this, e)
    } finally {
      listenerMs.set(this, (listenerMs.get(this) ?? 0) + performance.now() - t0)
    }
  }
  return original.call(this, type, timed, opts)
} as typeof BroadcastChannel.prototype.addEventListener

type Mode = 'no route' | 'one subscriber' | 'bare BroadcastChannel'

interface Receiver {
  count(): number
  close(): Promise<void>
}

function receiver(mode: Mode, channel: string): Receiver {
  if (mode === 'bare BroadcastChannel') {
    // The floor: a listener that reads the message (deserializing it) and counts its events.
    const bc = new BroadcastChannel(`tidings.tabs:${channel}`)
    let n = 0
    bc.addEventListener('message', (e) => {
      const m = e.data as { kind?: string; batch?: { n: number; d: unknown[] } }
      if (m.kind === 'batch' && m.batch) n += m.batch.d.length
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
async function measure(worker: Worker, modes: readonly Mode[], size: number): Promise<{ us: number[]; readUs: number[]; ok: boolean }> {
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
  const sent = new Promise((res) => worker.addEventListener('message', res, { once: true }))
  worker.postMessage({ channel, n: EVENTS, size }, [])
  await sent
  const t0 = performance.now()
  while (rs.some(({ r }) => r.count() < EVENTS) && performance.now() - t0 < 60_000) await sleep(10)
  const ok = rs.every(({ r }) => r.count() === EVENTS)
  const us = rs.map(({ bc }) => ((listenerMs.get(bc) ?? 0) * 1000) / EVENTS)
  const readUs = rs.map(({ bc }) => ((readMs.get(bc) ?? 0) * 1000) / EVENTS)
  for (const { r } of rs) await r.close()
  return { us, readUs, ok }
}

export default async function run(): Promise<BenchTable> {
  const worker = new Worker(new URL('./tabs-sender-worker.ts', import.meta.url), { type: 'module' })
  let ok = true
  const notes: string[] = []
  const rows: (string | number)[][] = []
  const modes: Mode[] = ['no route', 'one subscriber', 'bare BroadcastChannel']
  await measure(worker, modes, 70) // warm-up
  const results = new Map<string, number[]>()
  for (let r = 0; r < RUNS; r++) {
    for (const size of [70, 10_000]) {
      // Receivers made in turns of order: the first channel object may be served first.
      const order = r % 2 ? modes.toReversed() : modes
      const m = await measure(worker, order, size)
      if (!m.ok) {
        ok = false
        notes.push(`${size} B: a receiver did not count all its events`)
      }
      order.forEach((mode, k) => {
        const key = `${mode}|${size}`
        results.set(key, [...(results.get(key) ?? []), m.us[k]!])
        results.set(`${key}|own`, [...(results.get(`${key}|own`) ?? []), m.us[k]! - m.readUs[k]!])
      })
    }
  }
  const cell = (mode: Mode, size: number) => median(results.get(`${mode}|${size}`)!).toFixed(2)
  for (const size of [70, 10_000])
    rows.push([size === 70 ? '~100 B event' : '~10 KB event', cell('no route', size), cell('one subscriber', size), cell('bare BroadcastChannel', size)])
  const ownCell = (mode: Mode, size: number) => median(results.get(`${mode}|${size}|own`)!).toFixed(2)
  for (const size of [70, 10_000])
    rows.push([`${size === 70 ? '~100 B' : '~10 KB'}: of which after reading event.data (the listener's own work)`, ownCell('no route', size), ownCell('one subscriber', size), ownCell('bare BroadcastChannel', size)])
  const noRoute = median(results.get('no route|70')!)
  const own = median(results.get('no route|70|own')!)
  notes.push(
    `Target: a receiving tab with no route for a type pays <= 1 µs per event (100 B): ${noRoute <= 1 ? 'met' : 'NOT met'} in all (${noRoute.toFixed(2)} µs); Tidings' own share, the time in its listener after event.data was read (deserialized), which any receiver pays first (bare: ${cell('bare BroadcastChannel', 70)} µs in all): ${own.toFixed(2)} µs, ${own <= 1 ? 'met' : 'NOT met'}.`,
  )
  // 1 -> 8 receivers in one page: each receiver's own cost per event.
  const scale: string[] = []
  for (const tabs of [1, 2, 4, 8]) {
    const xs: number[] = []
    for (let r = 0; r < 3; r++) {
      const m = await measure(worker, Array.from({ length: tabs }, (): Mode => 'no route'), 70)
      if (!m.ok) ok = false
      xs.push(m.us.reduce((a, b) => a + b, 0) / tabs)
    }
    scale.push(median(xs).toFixed(2))
  }
  rows.push(['no route, per receiver, 1 / 2 / 4 / 8 receivers in one page (100 B)', scale.join(' / '), '', ''])
  worker.terminate()
  notes.push(
    `µs of main-thread time per event per receiving tab, summed inside the channel listeners; ${SMALL_EVENTS.toLocaleString('en-US')} events (100 B) or ${LARGE_EVENTS.toLocaleString('en-US')} (10 KB) per run from a sender in a worker (batches of up to 5000), median of ${RUNS} runs; in each run one receiver of each mode takes the same messages at once (same load, same garbage collections), in alternating creation order. "no route": nothing in the tab subscribes to the type (the tab skips the event from the batch's type column: stats().unrouted); "one subscriber": one handler (decode, envelope check, dedupe, delivery); "bare BroadcastChannel": a listener that only reads the message, the floor any receiver pays. Receivers in one page share its thread, so 1 -> 8 shows each receiver's own cost, not what separate tab processes would see in parallel. performance.now() is clamped to 100 µs here; each batch takes ms, so the sum is accurate to about 0.02 µs per event.`,
    `Chromium headless, ${navigator.hardwareConcurrency} cores.`,
  )
  return {
    title: '@tidings/tabs: receive cost per event in a receiving tab (µs)',
    columns: ['event', 'no route', 'one subscriber', 'bare BroadcastChannel'],
    rows,
    notes,
    ok,
  }
}
