// What publish() costs with the DevTools panel connected vs not, for payloads up to 5 MB of every
// shape (Map, Set, object, array, string); and what the agent then spends per event, outside
// publish(), reading the payload into a wire item.
//
// Method (docs/benchmarks.md "DevTools: publish cost by payload"): three buses side by side, each
// with one no-op subscriber: no agent; a no-op bus.inspect() observer (what core's inspection
// stream costs any inspector: the floor); connectDevtools with a session open (a simulated
// content script said hello). The agent keeps every event (maxEventsPerSecond 1e6: the sampler
// never skips, the worst case for publish()). A measurement is SUBLOOPS loops of LOOP publishes of
// the same payload, timed loop by loop and summed; between loops the page yields (untimed), so
// the agent's batch timer runs as it would in an app and never holds more than a few thousand
// events. performance.now() is clamped to 100 µs in a page that is not cross-origin isolated, so
// short loops are summed, not timed one by one. Variants rotate order round by round, ROUNDS
// rounds, medians with the min-max spread. The browser gives a page no CPU clock: wall clock.
//
// The agent's own work per event (it maps events when a batch is posted) is timed separately on
// the pure mapping it runs, toWireItem + JSON.stringify, on the same inspection events.
//
// BENCH_SCENARIOS does not reach a browser page; VITE_BENCH_SCENARIOS=map,string (read by Vite
// from the environment) selects shapes: VITE_BENCH_SCENARIOS=string node bench/run.mjs
// --browser-only --filter devtools-payloads.
import { createBus, type Bus, type InspectionEvent } from '@tidings/core'
import type { BenchTable } from '../../../bench/types.ts'
import { connectDevtools, type DevtoolsConnection } from '../src/index.ts'
import { isWireItem, msg, parseBatchItems, parseFromAgent, readMessage } from '../src/protocol.ts'
import { newReport } from '../src/sanitize.ts'
import { toWireItem } from '../src/to-wire-item.ts'

const ROUNDS = 5
const LOOP = 2000
const SUBLOOPS = 10
const SHAPES = ['map', 'set', 'object', 'array', 'string'] as const
type Shape = (typeof SHAPES)[number]
/** JSON size of each payload (of the equivalent object or array for a Map or a Set). */
const SIZES = [5 * 1024, 500 * 1024, 5 * 1024 * 1024]
const VARIANTS = ['no panel', 'no-op inspector', 'panel'] as const
type Variant = (typeof VARIANTS)[number]

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
const fmt = (us: number) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2))
const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`
const human = (b: number) => (b >= 1024 * 1024 ? `${(b / 1024 / 1024).toFixed(1)} MB` : `${Math.round(b / 1024)} KB`)

interface Panel {
  bus: Bus
  agent: DevtoolsConnection
  /** Publish items received by the simulated content script so far. */
  received(): number
  invalid(): number
  /** Validate every item of the next batch (the panel's parseBatchItems), not just count. */
  validateNext(): void
  stop(): void
}

async function openPanel(): Promise<Panel> {
  const bus = createBus({ name: 'bench-panel' })
  bus.subscribe('bench.**', () => {})
  const nonce = `bench-${Math.random().toString(36).slice(2)}`
  const agent = connectDevtools(bus, { maxEventsPerSecond: 1_000_000, snapshotMs: 1_000_000 })
  let received = 0
  let invalid = 0
  let validate = true
  const on = (e: MessageEvent) => {
    // what the content script does on the page's thread: the tag and nonce check
    const t = readMessage(e.data)
    if (t.status !== 'ok' || t.kind !== 'batch') return
    const m = parseFromAgent(e.data)
    if (!m || m.kind !== 'batch' || m.nonce !== nonce) {
      invalid++
      return
    }
    // what the panel does in its own process (untimed here): parse, validate, count
    const items = validate ? parseBatchItems(m.items) : (JSON.parse(m.items) as { kind: string }[])
    validate = false
    if (!items) invalid++
    else for (const it of items) if (it.kind === 'publish') received++
  }
  window.addEventListener('message', on)
  window.postMessage(msg({ kind: 'hello', nonce, leaseMs: 600_000 }), '*')
  const until = performance.now() + 5000
  while (!agent.connected && performance.now() < until) await sleep(5)
  if (!agent.connected) throw new Error('the agent did not answer the hello')
  return {
    bus,
    agent,
    received: () => received,
    invalid: () => invalid,
    validateNext: () => (validate = true),
    stop: () => (window.removeEventListener('message', on), agent.disconnect()),
  }
}

/** µs per publish over SUBLOOPS timed loops of LOOP publishes, yielding (untimed) in between. */
async function measure(bus: Bus, data: unknown): Promise<number> {
  let ms = 0
  for (let s = 0; s < SUBLOOPS; s++) {
    const t0 = performance.now()
    for (let i = 0; i < LOOP; i++) bus.publish('bench.payload', data)
    ms += performance.now() - t0
    await sleep(0)
  }
  return (ms * 1000) / (LOOP * SUBLOOPS)
}

/** µs per call of the agent's per-event work (toWireItem + JSON.stringify), and the item's size. */
function readCost(e: InspectionEvent): { us: number; itemBytes: number; estimate: number; sized: boolean } {
  const once = () => {
    const report = newReport()
    const item = toWireItem(e, {}, undefined, report)
    return { json: JSON.stringify(item), report, item }
  }
  const first = once()
  if (!isWireItem(first.item)) throw new Error('invalid wire item')
  let m = 1
  for (;;) {
    const t0 = performance.now()
    for (let i = 0; i < m; i++) once()
    const ms = performance.now() - t0
    if (ms >= 10 || m >= 256) return { us: (ms * 1000) / m, itemBytes: first.json.length, estimate: first.report.bytes, sized: first.report.sized }
    m *= 2
  }
}

export default async function devtoolsPayloadsBench(): Promise<BenchTable> {
  const shapes = SHAPES.filter((s) => !only || only.includes(s))
  const plain = createBus({ name: 'bench-plain' })
  plain.subscribe('bench.**', () => {})
  const floor = createBus({ name: 'bench-floor' })
  floor.subscribe('bench.**', () => {})
  floor.inspect(() => {})
  const panel = await openPanel()
  const buses: Record<Variant, Bus> = { 'no panel': plain, 'no-op inspector': floor, panel: panel.bus }
  const problems: string[] = []

  interface Cell {
    shape: Shape
    bytes: number
    data: unknown
    us: Record<Variant, number[]>
    read?: ReturnType<typeof readCost>
  }
  const cells: Cell[] = []
  for (const shape of shapes) for (const bytes of SIZES) cells.push({ shape, bytes, data: payload(shape, bytes), us: { 'no panel': [], 'no-op inspector': [], panel: [] } })

  // the agent's per-event read, on real inspection events of each payload
  const probe = createBus({ name: 'bench-probe' })
  probe.subscribe('bench.**', () => {})
  let seen: InspectionEvent | undefined
  const off = probe.inspect((e) => {
    if (e.kind === 'publish') seen = e
  })
  const events = cells.map((c) => (probe.publish('bench.payload', c.data), seen!))
  off.unsubscribe()
  for (const e of events) readCost(e) // warm-up (JIT, V8's hidden classes for the output keys)
  cells.forEach((c, i) => (c.read = readCost(events[i]!)))

  for (const v of VARIANTS) await measure(buses[v], cells[0]!.data) // warm-up (JIT)
  for (let r = 0; r < ROUNDS; r++) {
    // rotate the order round by round, so a burst of outside load does not always hit one variant
    const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!)
    for (const c of cells) {
      for (const v of order) {
        const before = panel.received()
        if (v === 'panel') panel.validateNext()
        c.us[v].push(await measure(buses[v], c.data))
        if (v !== 'panel') continue
        // every event's publish item must arrive before the next measurement
        const want = before + LOOP * SUBLOOPS
        const until = performance.now() + 20_000
        while (panel.received() < want && performance.now() < until) await sleep(10)
        if (panel.received() !== want) problems.push(`${c.shape} ${human(c.bytes)}: ${panel.received() - before} of ${LOOP * SUBLOOPS} publish items arrived`)
      }
    }
  }
  if (panel.invalid()) problems.push(`${panel.invalid()} invalid batch messages`)
  const { unread, items } = panel.agent.stats()
  panel.stop()

  // the replay buffer, on a fresh session: 20 distinct 5 MB payloads must not stay reachable
  // through it (it used to hold the last 500 whatever their size); a small event is kept
  const fresh = await openPanel()
  for (let i = 0; i < 20; i++) fresh.bus.publish('bench.replay', payload('array', 5 * 1024 * 1024))
  fresh.bus.publish('bench.replay', { small: true })
  const deadline = performance.now() + 20_000
  while (fresh.received() < 21 && performance.now() < deadline) await sleep(20)
  const held = fresh.agent.stats()
  fresh.stop()
  if (held.replayEvents !== 1) problems.push(`replay buffer holds ${held.replayEvents} events after 20 x 5 MB + 1 small (expected 1)`)

  const rows: (string | number)[][] = []
  let worst = 0
  let worstFloor = 0
  for (const c of cells) {
    const [a, f, b] = VARIANTS.map((v) => median(c.us[v]))
    worst = Math.max(worst, b! / a!)
    worstFloor = Math.max(worstFloor, b! / f!)
    rows.push([
      c.shape,
      human(c.bytes),
      `${fmt(a!)} (${spread(c.us['no panel'])})`,
      `${fmt(f!)} (${spread(c.us['no-op inspector'])})`,
      `${fmt(b!)} (${spread(c.us.panel)})`,
      `${(b! / a!).toFixed(1)}x`,
      `${(b! / f!).toFixed(2)}x`,
      fmt(c.read!.us),
      human(c.read!.itemBytes),
      c.read!.sized ? human(c.read!.estimate) : `≥ ${human(c.read!.estimate)}, unknown`,
    ])
  }
  return {
    title: 'DevTools: publish cost by payload, panel connected vs not (µs per publish)',
    columns: [
      'payload',
      'size (JSON)',
      'publish, no panel',
      "publish, no-op inspector (core's floor)",
      'publish, panel connected',
      'panel / no panel',
      'panel / floor',
      'agent read per event (µs, in its batch timer)',
      'wire item (JSON)',
      'size estimate (replay buffer)',
    ],
    rows,
    notes: [
      `${ROUNDS} rounds, variant order rotated each round; each figure is the median of the rounds (min–max in brackets) of ${SUBLOOPS} timed loops of ${LOOP} publishes of the same payload to one no-op subscriber, the page yielding between loops; wall clock (a page has no CPU clock).`,
      'The panel keeps every event (maxEventsPerSecond 1e6: the sampler never skips): what publish() pays is core building two inspection events (publish, deliver), a sampling decision and keeping a reference to each; the payload is read later, when a batch is posted. "agent read per event" is that later work (toWireItem + JSON.stringify of the item), bounded by the sanitizer caps; a batch of them is bounded by the read budget (batchMs/10).',
      `target: panel within 2x of no panel for every payload -> worst ${worst.toFixed(1)}x ${worst <= 2 ? 'met' : 'NOT met'}; against core's no-op inspector (the least any inspector pays) worst ${worstFloor.toFixed(2)}x.`,
      `publish items sent without data because a batch's read budget was spent: ${unread} of ${items} items streamed.`,
      `replay buffer after 20 distinct 5 MB arrays and one small event: ${held.replayEvents} event(s), ${held.replayBytes} bytes charged (default replayBufferBytes 4 MiB; a 5 MB payload is estimated larger than the budget and never kept).`,
      ...problems,
    ],
    ok: problems.length === 0,
  }
}
