// What the DevTools agent costs a page that publishes 10k events/s.
//
// Method: for DURATION_MS the page publishes exactly RATE events/s (paced against the clock, to
// three subscribers) and spends every spare moment on "app work" (a fixed arithmetic loop),
// yielding to the event loop every ~5 ms so timers, the agent's flushes and the simulated content
// script run. Two cost figures: (1) the app work the agent takes away, 1 - work(config) /
// work(no agent), end to end but very noisy on a shared machine; (2) measured time: the extra
// time inside publish() + the agent's own timer work (stats().flushMs) + the content script's
// work, per second of load; the targets are judged on (2). Configs run interleaved, RUNS times;
// medians are reported. The simulated content script does what the real one does on the page's
// thread (tag + nonce check, then JSON serialization as a chrome.runtime port does); the items
// are validated afterwards, untimed, as the panel does in its own process. Every run verifies
// counts, per-origin order and that the redacted value never leaves the agent.
import { createBus, type Bus } from '@tidings/core'
import type { BenchTable } from '../../../bench/types.ts'
import { yieldTask } from '../../../bench/yield-task.ts'
import { connectDevtools, type DevtoolsConnection } from '../src/index.ts'
import { type BatchMsg, msg, parseBatchItems, parseFromAgent, readMessage } from '../src/protocol.ts'

const RATE = 10_000
const DURATION_MS = 1500
const RUNS = 5
const TOPICS = ['user.login', 'user.logout', 'cart.item.added', 'cart.item.removed', 'order.created', 'order.paid', 'search.query', 'page.view']

type Config =
  | 'no agent'
  | 'agent, no extension'
  | 'extension installed, panel closed (recording)'
  | 'agent streaming (default 2000/s, sampled)'
  | 'agent streaming, trace: true (default 2000/s)'
  | 'agent streaming everything (max 20000/s)'
const CONFIGS: Config[] = [
  'no agent',
  'agent, no extension',
  'extension installed, panel closed (recording)',
  'agent streaming (default 2000/s, sampled)',
  'agent streaming, trace: true (default 2000/s)',
  'agent streaming everything (max 20000/s)',
]
const TRACE: Config = 'agent streaming, trace: true (default 2000/s)'
const RECORDING: Config = 'extension installed, panel closed (recording)'
const IDLE: Config = 'agent, no extension'

interface RunResult {
  work: number
  /** ms spent inside publish() calls (the agent's per-event work runs there) */
  publishMs: number
  /** ms spent in the simulated content script */
  sinkMs: number
  /** ms the agent spent in its timers (batches, snapshots) */
  flushMs: number
  published: number
  delivered: number
  streamed: number
  skipped: number
  sinkBytes: number
  problems: string[]
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Simulated content script: what the real one does on the page's thread (tag + nonce check, then
 *  the port's JSON serialization), timed; then, untimed, what the panel does (parse and validate
 *  every item) so the run can verify counts, order and redaction. */
function contentScriptSink(nonce: string) {
  const state = { items: 0, skipped: 0, bytes: 0, invalid: 0, lastSeqByOrigin: new Map<string, number>(), outOfOrder: 0, leaked: 0, ms: 0 }
  const on = (e: MessageEvent) => {
    const t0 = performance.now()
    if (e.source !== window) return
    const tagged = readMessage(e.data)
    if (tagged.status !== 'ok') return
    const t = tagged.kind
    if (t === 'hello' || t === 'ping' || t === 'bye' || t === 'command' || t === 'announce') return
    const m = parseFromAgent(e.data)
    if (!m || m.kind === 'announce' || m.nonce !== nonce) {
      state.invalid++
      return
    }
    const json = JSON.stringify(m)
    state.ms += performance.now() - t0
    state.bytes += json.length
    if (json.includes('s3cr3t')) state.leaked++
    if (m.kind !== 'batch') return
    const b = m as BatchMsg
    state.skipped += b.skipped
    const items = parseBatchItems(b.items)
    if (!items) {
      state.invalid++
      return
    }
    for (const it of items) {
      if (it.kind !== 'publish') continue
      state.items++
      const last = state.lastSeqByOrigin.get(it.event.origin) ?? -1
      if (it.event.seq <= last) state.outOfOrder++
      state.lastSeqByOrigin.set(it.event.origin, it.event.seq)
    }
  }
  window.addEventListener('message', on)
  return { state, stop: () => window.removeEventListener('message', on) }
}

async function run(config: Config): Promise<RunResult> {
  const bus: Bus = createBus({ name: 'bench' })
  let delivered = 0
  bus.subscribe('user.*', () => delivered++)
  bus.subscribe('cart.**', () => delivered++)
  bus.subscribe('order.created', () => delivered++)
  let agent: DevtoolsConnection | undefined
  let sink: ReturnType<typeof contentScriptSink> | undefined
  const nonce = `bench-${Math.random().toString(36).slice(2)}`
  if (config !== 'no agent') {
    agent = connectDevtools(bus, {
      redact: ['password'],
      ...(config === 'agent streaming everything (max 20000/s)' ? { maxEventsPerSecond: 20_000 } : {}),
      ...(config === TRACE ? { trace: true } : {}),
    })
    // the content script's answer to the agent's announce: the extension is installed
    if (config === RECORDING) window.postMessage(msg({ kind: 'present' }), '*')
    else if (config !== IDLE) {
      sink = contentScriptSink(nonce)
      window.postMessage(msg({ kind: 'hello', nonce, leaseMs: 60_000 }), '*')
      const until = performance.now() + 2000
      while (!agent.connected && performance.now() < until) await yieldTask()
      if (!agent.connected) throw new Error('agent did not answer the hello')
    }
  }
  // past the agent's provisional recording window (250 ms after connectDevtools)
  await sleep(300)
  if (config === RECORDING) {
    // Steady state: fill the 2 MiB ring first (about 2 s of sampled items), so the measured
    // window includes evicting the oldest, not just appending.
    const end = performance.now() + 3000
    let k = 0
    while (performance.now() < end) {
      for (let j = 0; j < 50; j++) bus.publish(TOPICS[k++ % TOPICS.length]!, { i: -1, user: { name: 'ada', password: 's3cr3t' }, tags: ['a', 'b'] })
      await sleep(5)
    }
    await sleep(150)
    delivered = 0
    if (!(agent!.stats().recordedBytes > 1.5 * 1024 * 1024)) throw new Error(`the ring did not fill: ${agent!.stats().recordedBytes} chars`)
  }
  const flushBefore = agent?.stats().flushMs ?? 0

  let published = 0
  let publishMs = 0
  let work = 0
  let acc = 0
  const start = performance.now()
  let lastYield = start
  for (;;) {
    const now = performance.now()
    const elapsed = now - start
    if (elapsed >= DURATION_MS) break
    const due = Math.min(Math.floor((elapsed * RATE) / 1000), (DURATION_MS * RATE) / 1000)
    if (published < due) {
      const p0 = performance.now()
      while (published < due) {
        bus.publish(TOPICS[published % TOPICS.length]!, { i: published, user: { name: 'ada', password: 's3cr3t' }, tags: ['a', 'b'] })
        published++
      }
      publishMs += performance.now() - p0
    }
    // a slice of app work (fixed amount of arithmetic per unit)
    for (let k = 0; k < 50; k++) {
      for (let j = 0; j < 200; j++) acc = (acc * 31 + j) % 1_000_003
      work++
    }
    if (now - lastYield >= 5) {
      await yieldTask()
      lastYield = performance.now()
    }
  }
  // publish what the last slice left (the loop ends between two slices)
  const expectedTotal = (DURATION_MS * RATE) / 1000
  {
    const p0 = performance.now()
    while (published < expectedTotal) {
      bus.publish(TOPICS[published % TOPICS.length]!, { i: published, user: { name: 'ada', password: 's3cr3t' }, tags: ['a', 'b'] })
      published++
    }
    publishMs += performance.now() - p0
  }
  // let the last batches arrive before checking
  await sleep(300)
  const problems: string[] = []
  const expected = (DURATION_MS * RATE) / 1000
  if (published !== expected) problems.push(`published ${published} of ${expected}`)
  const perPublish = [1, 1, 1, 1, 1, 0, 0, 0] // user.* x2, cart.** x2, order.created x1
  let want = 0
  for (let i = 0; i < published; i++) want += perPublish[i % 8]!
  if (delivered !== want) problems.push(`delivered ${delivered}, expected ${want}`)
  let streamed = 0
  let skipped = 0
  let sinkBytes = 0
  let sinkMs = 0
  if (sink) {
    sinkMs = sink.state.ms
    const s = sink.state
    streamed = s.items
    skipped = s.skipped
    sinkBytes = s.bytes
    if (s.invalid) problems.push(`${s.invalid} invalid messages`)
    if (s.outOfOrder) problems.push(`${s.outOfOrder} out of order`)
    if (s.leaked) problems.push(`redacted value leaked in ${s.leaked} messages`)
    // publishes + their deliveries; every publish is either streamed or counted as skipped
    const followers = skipped // deliveries of skipped events are counted too
    if (streamed === 0) problems.push('nothing streamed')
    if (streamed + followers < published) problems.push(`streamed ${streamed} + skipped ${skipped} < published ${published}`)
    sink.stop()
  }
  if ((config === IDLE || config === RECORDING) && agent?.stats().batches !== 0) problems.push('agent streamed without a hello')
  const recordedBytes = agent?.stats().recordedBytes ?? 0
  if (config === RECORDING && !(recordedBytes > 0 && recordedBytes <= 2 * 1024 * 1024)) problems.push(`recorded ${recordedBytes} chars, expected 1..2 MiB`)
  if (config === IDLE && recordedBytes !== 0) problems.push(`recorded ${recordedBytes} chars without the extension`)
  const flushMs = (agent?.stats().flushMs ?? 0) - flushBefore
  agent?.disconnect()
  await bus.shutdown()
  if (acc < 0) problems.push('impossible') // keeps the work loop observable
  return { work, publishMs, sinkMs, flushMs, published, delivered, streamed, skipped, sinkBytes, problems }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export default async function devtoolsBench(): Promise<BenchTable> {
  const results = new Map<Config, RunResult[]>(CONFIGS.map((c) => [c, []]))
  await run('no agent') // warm-up (JIT) before anything is measured
  for (let r = 0; r < RUNS; r++) for (const c of r % 2 ? CONFIGS.toReversed() : CONFIGS) results.get(c)!.push(await run(c))
  const base = results.get('no agent')!
  const problems: string[] = []
  const rows: (string | number)[][] = []
  const costs = new Map<Config, number>()
  const directCosts = new Map<Config, number>()
  const secs = DURATION_MS / 1000
  for (const c of CONFIGS) {
    const rs = results.get(c)!
    for (const x of rs) for (const p of x.problems) problems.push(`${c}: ${p}`)
    // paired with the no-agent run of the same round: load from other processes drifts slowly
    const cost = median(rs.map((x, i) => 1 - x.work / base[i]!.work))
    costs.set(c, cost)
    const direct = median(rs.map((x, i) => (x.publishMs - base[i]!.publishMs + x.flushMs + x.sinkMs) / DURATION_MS))
    directCosts.set(c, direct)
    rows.push([
      c,
      RATE,
      Math.round(median(rs.map((x) => x.work)) / secs),
      c === 'no agent' ? '—' : `${(cost * 100).toFixed(1)}%`,
      (median(rs.map((x) => x.publishMs)) / secs).toFixed(1),
      c.startsWith('agent streaming') || c === RECORDING ? (median(rs.map((x) => x.flushMs)) / secs).toFixed(1) : '—',
      c.startsWith('agent streaming') ? (median(rs.map((x) => x.sinkMs)) / secs).toFixed(1) : '—',
      c === 'no agent' ? '—' : `${(direct * 100).toFixed(1)}%`,
      c.startsWith('agent streaming') ? Math.round(median(rs.map((x) => x.streamed)) / secs) : '—',
      c.startsWith('agent streaming') ? Math.round(median(rs.map((x) => x.sinkBytes)) / 1024 / secs) : '—',
    ])
  }
  const idle = directCosts.get(IDLE)!
  const recording = directCosts.get(RECORDING)!
  const streaming = directCosts.get('agent streaming (default 2000/s, sampled)')!
  const traced = directCosts.get(TRACE)!
  const full = directCosts.get('agent streaming everything (max 20000/s)')!
  return {
    title: 'DevTools agent cost at 10k events/s offered (share of the main thread taken from the app)',
    columns: [
      'config',
      'offered events/s',
      'app work units/s',
      'cost (app work lost)',
      'ms/s in publish()',
      'ms/s in agent timers',
      'ms/s in content script',
      'cost (measured time)',
      'events streamed/s',
      'KB/s to content script',
    ],
    rows,
    notes: [
      `${RUNS} interleaved rounds of ${DURATION_MS} ms per config (medians; each config paired with the no-agent run of its round); 3 subscribers; ~70-byte payload with a redacted field; the simulated content script does what the real one does on the page's thread (tag + nonce check, JSON serialization for the port); item validation happens in the panel's process.`,
      `"app work lost" is end to end (includes GC and scheduling) but swings by tens of % when other processes load the 2 cores; "measured time" = extra time inside publish() + the agent's timer work + the content script's work, per second of load (misses GC), and is the figure the targets are judged on.`,
      `target: no extension < 2% -> ${(idle * 100).toFixed(1)}% ${idle < 0.02 ? 'met' : 'NOT met'}; extension installed, panel closed (recording at the default 2000 events/s into the 2 MiB ring) <= 5% -> ${(recording * 100).toFixed(1)}% ${recording <= 0.05 ? 'met' : 'NOT met'}; streaming (default sampling) < 15% -> ${(streaming * 100).toFixed(1)}% ${streaming < 0.15 ? 'met' : 'NOT met'}; streaming every event: ${(full * 100).toFixed(1)}%; trace: true adds ${((traced - streaming) * 100).toFixed(1)} points to default streaming (a stack captured per kept publish, formatted in the batch timer).`,
      'Costs within a few % of 0 (either sign) are noise on a shared 2-core machine.',
      `work units per round: ${CONFIGS.map((c) => results.get(c)!.map((x) => x.work).join('/')).join(' | ')}`,
      ...problems,
    ],
    ok: problems.length === 0,
  }
}
