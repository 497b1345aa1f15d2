// What publish() costs with the DevTools panel connected vs not, for payloads up to 5 MB of every
// shape (Map, Set, object, array, string); and what the agent then spends per event, outside
// publish(), reading the payload into a wire item.
//
// Method (docs/benchmarks.md "DevTools: publish cost by payload"), payload by payload (one alive
// at a time): buses side by side, each with
// one no-op subscriber:
// - no panel: no agent;
// - panel: connectDevtools with its defaults (maxEventsPerSecond 2000, per-handler timing off) and
//   a session open (a simulated content script said hello): the target, within 2x of no panel;
// - every event kept: the same with maxEventsPerSecond 1e6 (the sampler never skips: the worst
//   case for publish(), every event's reference is kept and read later);
// - recording: an agent with its defaults, the extension present, the panel closed;
// - timing: every event kept, with per-handler timing switched on by the panel's command (core
//   then times each handler and builds a deliver inspection per delivery: the opt-in);
// - floor: a no-op bus.inspect() observer of the kinds the agent inspects without timing (what
//   core's inspection stream costs any such inspector).
// Each agent talks over its own MessageChannel (its `target`), so sessions do not cross; the
// messages are structured-cloned as window.postMessage's are. A measurement is the fastest of
// SUBLOOPS timed loops publishing the same payload for LOOP_MS each (the least preempted one on a
// shared machine); between loops the page
// yields (untimed), so the agents' batch timers run as they would in an app. performance.now()
// is clamped to 100 µs in a page that is not cross-origin isolated, so a loop lasts milliseconds. Variants rotate order round by round, ROUNDS rounds, medians with the
// min-max spread; each ratio is the median of the per-round ratios (round i of both variants ran
// side by side). The browser gives a page no CPU clock: wall clock.
//
// The agent's own work per event (it maps events when a batch is posted) is timed separately on
// the pure mapping it runs, toWireItem + JSON.stringify, on the same inspection events.
//
// BENCH_SCENARIOS does not reach a browser page; VITE_BENCH_SCENARIOS=map,string (read by Vite
// from the environment) selects shapes: VITE_BENCH_SCENARIOS=string node bench/run.mjs
// --browser-only --filter devtools-payloads.
import { createBus, type Bus, type InspectionEvent, type InspectionKind } from '@tidings/core'
import type { BenchTable } from '../../../bench/types.ts'
import { connectDevtools, type DevtoolsConnection, type DevtoolsOptions, type DevtoolsTarget } from '../src/index.ts'
import { isWireItem, msg, parseBatchItems, parseFromAgent, readMessage } from '../src/protocol.ts'
import { newReport } from '../src/sanitize.ts'
import { toWireItem } from '../src/to-wire-item.ts'

/** Odd, so the median is the middle round (with 4 it was the upper of the middle two). */
const ROUNDS = 5
/** A timed loop lasts LOOP_MS, so performance.now()'s 100 µs clamp is ~1.7% of it whatever a
 *  publish costs (~200k publishes without a panel). */
const LOOP_MS = 6
const CHUNK = 500
/** Publishes per loop when every event is kept: each becomes an item the agent maps, serializes
 *  and posts (mostly without its data, past the read budget), and the bench must wait for them
 *  all; ~0.6 ms of publishing (~3.5 ms with timing on). The same cap for both: the bench's run
 *  time is mostly the agents' work on these items. */
const KEPT_MAX = 8000
const SUBLOOPS = 4
const SHAPES = ['map', 'set', 'object', 'array', 'string'] as const
type Shape = (typeof SHAPES)[number]
/** JSON size of each payload (of the equivalent object or array for a Map or a Set). */
const SIZES = [5 * 1024, 500 * 1024, 5 * 1024 * 1024]
const VARIANTS = ['no panel', 'panel', 'all kept', 'recording', 'timing', 'floor'] as const
type Variant = (typeof VARIANTS)[number]
/** The kinds the agent inspects with timing off (connect.ts KINDS). */
const PANEL_KINDS: readonly InspectionKind[] = ['publish', 'drop', 'reject', 'error', 'subscribe', 'unsubscribe', 'bridge']


const env = (import.meta as ImportMeta & { env?: Record<string, string | undefined> }).env
const only = env?.['VITE_BENCH_SCENARIOS']?.split(',').filter(Boolean)

const entry = (i: number) => ({ id: i, name: `item-${i}` })

/** Entries whose JSON adds up to `bytes`: "k1":{"id":1,"name":"item-1"}, per entry (no key for arrays and Sets). */
function entries(bytes: number, keyed: boolean): number {
  let n = 0
  for (let total = 2; total < bytes; n++) {
    const digits = String(n).length
    total += 23 + 2 * digits + (keyed ? 4 + digits : 0)
  }
  return n
}

function payload(shape: Shape, bytes: number): unknown {
  const n = entries(bytes, shape === 'map' || shape === 'object')
  switch (shape) {
    case 'map':
      return new Map(Array.from({ length: n }, (_, i) => [`k${i}`, entry(i)]))
    case 'set':
      return new Set(Array.from({ length: n }, (_, i) => entry(i)))
    case 'object':
      return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, entry(i)]))
    case 'array':
      return Array.from({ length: n }, (_, i) => entry(i))
    case 'string':
      // flat, as a string from the network or JSON.parse is (repeat() would build a rope)
      return JSON.parse(JSON.stringify('x'.repeat(bytes))) as string
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
/** µs; below 1 µs to the ns (0.029), which is what a loop of ~200k publishes resolves. */
const fmt = (us: number) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us >= 1 ? us.toFixed(2) : us.toFixed(3))
const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`
const human = (b: number) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MB` : `${Math.round(b / 1024)} KB`)

interface Panel {
  bus: Bus
  agent: DevtoolsConnection
  /** Publish and deliver items received by the simulated content script so far, and the
   *  skipped counts of the batches. */
  received(): number
  delivers(): number
  skipped(): number
  invalid(): number
  /** Validate every item of the next batch (the panel's parseBatchItems), not just count. */
  validateNext(): void
  /** Switches per-handler timing with the panel's command; resolves on the agent's snapshot. */
  setTiming(on: boolean): Promise<void>
  stop(): void
}

/** A private channel between one agent and its simulated content script: the agent talks over
 *  port1 (its `target`), the content script over port2; messages are structured-cloned. */
function channel(): { target: DevtoolsTarget; port: MessagePort } {
  const { port1, port2 } = new MessageChannel()
  port1.start()
  port2.start()
  const target: DevtoolsTarget = {
    postMessage: (m) => port1.postMessage(m),
    addEventListener: (t, l) => port1.addEventListener(t, l),
    removeEventListener: (t, l) => port1.removeEventListener(t, l),
  }
  return { target, port: port2 }
}

async function waitFor(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = performance.now() + ms
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** A bus with one no-op subscriber and an agent; with `session`, a panel said hello. */
async function openPanel(name: string, options: DevtoolsOptions, session = true): Promise<Panel> {
  const bus = createBus({ name })
  bus.subscribe('bench.**', () => {})
  const nonce = `bench-${Math.random().toString(36).slice(2)}`
  const { target, port } = channel()
  const agent = connectDevtools(bus, { snapshotMs: 1_000_000, ...options, target })
  let received = 0
  let delivers = 0
  let skipped = 0
  let invalid = 0
  let validate = true
  let timing: boolean | undefined
  port.addEventListener('message', (e: MessageEvent) => {
    // what the content script does: the tag and nonce check
    const t = readMessage(e.data)
    if (t.status !== 'ok' || (t.kind !== 'batch' && t.kind !== 'snapshot')) return
    const m = parseFromAgent(e.data)
    if (m?.kind === 'snapshot' && m.nonce === nonce) {
      timing = m.timing
      return
    }
    if (!m || m.kind !== 'batch' || m.nonce !== nonce) {
      invalid++
      return
    }
    // what the panel does in its own process (untimed here): parse, validate, count
    const items = validate ? parseBatchItems(m.items) : (JSON.parse(m.items) as { kind: string }[])
    validate = false
    skipped += m.skipped
    if (!items) invalid++
    else
      for (const it of items)
        if (it.kind === 'publish') received++
        else if (it.kind === 'deliver') delivers++
  })
  if (session) {
    port.postMessage(msg({ kind: 'hello', nonce, leaseMs: 600_000 }))
    await waitFor(() => agent.connected, 'the agent to answer the hello')
  } else port.postMessage(msg({ kind: 'present' }))
  return {
    bus,
    agent,
    received: () => received,
    delivers: () => delivers,
    skipped: () => skipped,
    invalid: () => invalid,
    validateNext: () => (validate = true),
    async setTiming(want) {
      port.postMessage(msg({ kind: 'command', nonce, id: `timing-${want}`, command: { op: 'timing', on: want } }))
      await waitFor(() => timing === want, `the agent to switch timing ${want ? 'on' : 'off'}`)
    },
    stop: () => {
      port.close()
      agent.disconnect()
    },
  }
}

/** µs per publish: the fastest of SUBLOOPS timed loops, each publishing in chunks of CHUNK until
 *  LOOP_MS have passed (or `max` publishes), the page yielding (untimed) between loops. The
 *  fastest, not a sum or a median: on the shared 2-core machine (load average often 10+) the OS
 *  preempts most loops somewhere, and a preempted loop says nothing about publish(); the least
 *  disturbed loop of each variant is what can be compared. `n`: the publishes made. */
async function measure(bus: Bus, data: unknown, max = Infinity): Promise<{ us: number; n: number }> {
  const loops: number[] = []
  let n = 0
  for (let s = 0; s < SUBLOOPS; s++) {
    let k = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < LOOP_MS && k < max) {
      for (let i = 0; i < CHUNK; i++) bus.publish('bench.payload', data)
      k += CHUNK
      t = performance.now()
    }
    loops.push(((t - t0) * 1000) / k)
    n += k
    await sleep(0)
  }
  return { us: Math.min(...loops), n }
}

/** µs per call of the agent's per-event work (toWireItem + JSON.stringify), and the item's size:
 *  the fastest of 3 timed runs (each at least 10 ms or 256 calls), as for publish(). */
function readCost(e: InspectionEvent): { us: number; itemBytes: number; estimate: number; sized: boolean } {
  const once = () => {
    const report = newReport()
    const item = toWireItem(e, {}, undefined, report)
    return { json: JSON.stringify(item), report, item }
  }
  const first = once()
  if (!isWireItem(first.item)) throw new Error('invalid wire item')
  const run = () => {
    for (let m = 1; ; m *= 2) {
      const t0 = performance.now()
      for (let i = 0; i < m; i++) once()
      const ms = performance.now() - t0
      if (ms >= 10 || m >= 256) return (ms * 1000) / m
    }
  }
  const us = Math.min(run(), run(), run())
  return { us, itemBytes: first.json.length, estimate: first.report.bytes, sized: first.report.sized }
}

export default async function devtoolsPayloadsBench(): Promise<BenchTable> {
  const T0 = performance.now()
  const phase: string[] = []
  const mark = (what: string) => phase.push(`${what} ${((performance.now() - T0) / 1000).toFixed(1)} s`)
  const shapes = SHAPES.filter((s) => !only || only.includes(s))
  const plain = createBus({ name: 'bench-plain' })
  plain.subscribe('bench.**', () => {})
  const floor = createBus({ name: 'bench-floor' })
  floor.subscribe('bench.**', () => {})
  floor.inspect(() => {}, { kinds: PANEL_KINDS })
  const panel = await openPanel('bench-panel', {})
  const allKept = await openPanel('bench-all-kept', { maxEventsPerSecond: 1_000_000 })
  const timed = await openPanel('bench-timing', { maxEventsPerSecond: 1_000_000 })
  await timed.setTiming(true)
  const recorder = await openPanel('bench-recording', {}, false)
  await sleep(400) // past the agent's provisional 250 ms window: still recording means `present` was heard
  recorder.bus.publish('bench.probe', 1)
  await sleep(250)
  const problems: string[] = []
  if (recorder.agent.connected || recorder.agent.stats().recordedBytes === 0) problems.push('the recording agent is not recording')
  const panels: Partial<Record<Variant, Panel>> = { panel, 'all kept': allKept, timing: timed, recording: recorder }
  const buses: Record<Variant, Bus> = { 'no panel': plain, floor, panel: panel.bus, 'all kept': allKept.bus, recording: recorder.bus, timing: timed.bus }

  interface Cell {
    shape: Shape
    bytes: number
    us: Record<Variant, number[]>
    read?: ReturnType<typeof readCost>
  }
  const cells: Cell[] = []
  for (const shape of shapes) for (const bytes of SIZES) cells.push({ shape, bytes, us: { 'no panel': [], panel: [], 'all kept': [], recording: [], timing: [], floor: [] } })

  // the agent's per-event read, on a real inspection event of the payload
  const probe = createBus({ name: 'bench-probe' })
  probe.subscribe('bench.**', () => {})
  let seen: InspectionEvent | undefined
  probe.inspect((e) => {
    if (e.kind === 'publish') seen = e
  })
  const inspected = (data: unknown) => (probe.publish('bench.payload', data), seen!)

  mark('setup')
  const warm = payload('array', SIZES[0]!)
  readCost(inspected(warm)) // warm-up (JIT, V8's hidden classes for the output keys)
  for (const v of VARIANTS) await measure(buses[v], warm) // warm-up (JIT)
  // One payload alive at a time (built for its cell, dropped after it): fifteen 5 MB payloads
  // held together made V8's major GCs long enough to slow whichever variant they overlapped.
  for (const c of cells) {
    const data = payload(c.shape, c.bytes)
    c.read = readCost(inspected(data))
    seen = undefined
    for (let r = 0; r < ROUNDS; r++) {
      // rotate the order round by round, so a burst of outside load does not always hit one variant
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!)
      for (const v of order) {
        const p = v === 'recording' ? undefined : panels[v]
        const before = p ? [p.received(), p.delivers(), p.skipped()] : [0, 0, 0]
        p?.validateNext()
        const { us, n: N } = await measure(buses[v], data, v === 'all kept' || v === 'timing' ? KEPT_MAX : Infinity)
        c.us[v].push(us)
        if (!p) continue
        // every publish is accounted for before the next measurement: its item arrived, or it was
        // counted as skipped (default sampling); deliver items only with timing, one per publish
        const got = () => p.received() - before[0]! + (p.skipped() - before[2]!)
        await waitFor(() => got() >= N, `${v}: ${N} publishes accounted for`, 20_000).catch(() => {})
        const kept = p.received() - before[0]!
        const delivered = p.delivers() - before[1]!
        const where = `${c.shape} ${human(c.bytes)}, ${v}`
        if (got() !== N) problems.push(`${where}: ${kept} publish items + ${p.skipped() - before[2]!} skipped of ${N}`)
        if (v !== 'panel' && kept !== N) problems.push(`${where}: ${kept} of ${N} publish items arrived`)
        if (delivered !== (v === 'timing' ? kept : 0)) problems.push(`${where}: ${delivered} deliver items for ${kept} publish items`)
      }
    }
  }
  if (panel.invalid() + allKept.invalid() + timed.invalid()) problems.push(`${panel.invalid() + allKept.invalid() + timed.invalid()} invalid batch messages`)
  mark('rounds')
  const sampled = { kept: panel.received(), skipped: panel.skipped() }
  const recorded = recorder.agent.stats()
  if (recorded.recordedBytes === 0 || recorded.sessions !== 0) problems.push('nothing was recorded with the panel closed')
  const { unread, items } = allKept.agent.stats()
  for (const p of [panel, allKept, timed, recorder]) p.stop()

  // the replay buffer, on a fresh session: 20 distinct 5 MB payloads must not stay reachable
  // through it (it used to hold the last 500 whatever their size); a small event is kept
  const fresh = await openPanel('bench-replay', { maxEventsPerSecond: 1_000_000 })
  for (let i = 0; i < 20; i++) fresh.bus.publish('bench.replay', payload('array', 5 * 1024 * 1024))
  // in a batch of its own, so it is read even if a GC pause spent the big ones' read budget
  await waitFor(() => fresh.received() === 20, 'the 5 MB publish items', 20_000).catch(() => {})
  fresh.bus.publish('bench.replay', { small: true })
  await waitFor(() => fresh.received() === 21, 'the small publish item', 20_000).catch(() => {})
  const held = fresh.agent.stats()
  fresh.stop()
  if (held.replayEvents !== 1) problems.push(`replay buffer holds ${held.replayEvents} events after 20 x 5 MB + 1 small (expected 1; ${fresh.received()} items arrived, ${held.unread} unread)`)

  mark('replay')
  const rows: (string | number)[][] = []
  const worst: Partial<Record<Variant, number>> = {}
  let unmet = 0
  for (const c of cells) {
    const cell = (v: Variant) => `${fmt(median(c.us[v]))} (${spread(c.us[v])})`
    const ratio = (v: Variant) => {
      const x = median(c.us[v].map((us, i) => us / c.us['no panel'][i]!))
      worst[v] = Math.max(worst[v] ?? 0, x)
      return x
    }
    const p = ratio('panel')
    if (p > 2) unmet++
    rows.push([
      c.shape,
      human(c.bytes),
      cell('no panel'),
      cell('panel'),
      `${p.toFixed(2)}x`,
      p <= 2 ? 'met' : '**not met**',
      `${cell('all kept')}: ${ratio('all kept').toFixed(2)}x`,
      `${cell('recording')}: ${ratio('recording').toFixed(2)}x`,
      `${cell('timing')}: ${ratio('timing').toFixed(1)}x`,
      `${cell('floor')}: ${ratio('floor').toFixed(2)}x`,
      fmt(c.read!.us),
      c.read!.sized ? human(c.read!.estimate) : `≥ ${human(c.read!.estimate)}, unknown`,
    ])
  }
  const w = (v: Variant) => `${(worst[v] ?? 0).toFixed(2)}x`
  return {
    title: 'DevTools: publish cost by payload, panel connected vs not (µs per publish)',
    columns: [
      'payload',
      'size (JSON)',
      'no panel',
      'panel connected (defaults)',
      'panel / no panel',
      'target <= 2x',
      'every event kept (maxEventsPerSecond 1e6) / no panel',
      'panel closed, recording / no panel',
      'every event kept, timing on (opt-in) / no panel',
      "core's floor: no-op inspector of the agent's kinds / no panel",
      'agent read per event (µs, in its batch timer)',
      'size estimate (replay buffer)',
    ],
    rows,
    notes: [
      `Payload by payload (one alive at a time), ${ROUNDS} rounds each, variant order rotated each round; each figure is the median of the rounds (min–max in brackets) of the fastest of ${SUBLOOPS} timed loops of ${LOOP_MS} ms (publishing the same payload to one no-op subscriber in chunks of ${CHUNK}), the page yielding between loops; wall clock (a page has no CPU clock). Ratios are medians of the per-round ratios.`,
      'Without per-handler timing (the default) publish() pays core building one inspection (publish, with its receipt), the sampler\'s decision and, for a kept event, keeping a reference; the payload is read later, when a batch is posted ("agent read per event": toWireItem + JSON.stringify, bounded by the sanitizer caps; a batch of them by the read budget, batchMs/10). With timing, core also reads the clock around each handler and builds a deliver inspection per delivery, which the agent keeps too.',
      `target: panel connected (defaults) within 2x of no panel for every payload -> worst ${w('panel')}: ${unmet === 0 ? 'met' : `NOT met (${unmet} of ${cells.length} payloads over 2x)`}. Worst of the others: every event kept ${w('all kept')}, recording ${w('recording')}, timing on ${w('timing')}, core's floor ${w('floor')}.`,
      `default sampling (2000 events/s): the panel kept ${sampled.kept} publish items and was told of ${sampled.skipped} skipped.`,
      `recording agent: ${recorded.recordedBytes} characters of JSON held (recordBytes 2 MiB), ${recorded.unread} items recorded without data (read budget spent).`,
      `every event kept: publish items sent without data because a batch's read budget was spent: ${unread} of ${items} items streamed.`,
      `replay buffer after 20 distinct 5 MB arrays and one small event: ${held.replayEvents} event(s), ${held.replayBytes} bytes charged (default replayBufferBytes 4 MiB; a 5 MB payload is estimated larger than the budget and never kept).`,
      `phases: ${phase.join(', ')}`,
      ...problems,
    ],
    ok: problems.length === 0,
  }
}
