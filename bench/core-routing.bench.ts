// Core routing: Tidings against eventemitter3, mitt, EventEmitter2 (wildcard mode) and an RxJS
// Subject per name. One process per library; each timed run checks per-listener/per-pattern counts.
import { clock, expectCount, formatRate, formatRatio, measureRate, type RateResult } from './harness.ts'
import { attempt, formatSpread, isFailed, progress, spreadOf, type Failed, type Outcomes, type Spread } from './node-bench.ts'
import type { BenchEmitter, BenchLibrary } from './routing/emitter.ts'
import { eventemitter2, eventemitter3, mittLibrary, rxjsSubjects } from './routing/peers.ts'
import { tidings } from './routing/tidings.ts'
import { HANDLER_COUNTS, HEAP_SUBSCRIPTIONS, heapPerSubscription, registerOnOneTopic, registerPatterns, WILDCARD_PATTERNS } from './routing/scale.ts'
import { wildcardWorkload } from './routing/workload.ts'
import type { BenchTable } from './types.ts'

const LIBRARIES: Record<string, BenchLibrary> = {
  tidings,
  eventemitter3,
  mitt: mittLibrary,
  eventemitter2,
  rxjs: rxjsSubjects,
}
export const libraries = Object.keys(LIBRARIES)
/** Process rounds per library and scenario group, interleaved across libraries. 7, not 5: on
 *  the 2 shared cores a burst of outside load can slow one library's process in a round (a
 *  1000-names round at 19.6 M/s beside eventemitter3's 39.8, where the others ran 28-34), and the
 *  median of 7 ratios is moved by such rounds less than the median of 5. */
export const rounds = 7

const ALL = Object.keys(LIBRARIES)
const WILD = ['tidings', 'eventemitter2']
const SCENARIOS = [
  { key: 'one', group: 'one', label: '1 listener, 1 name', unit: 'deliveries/s' },
  { key: 'ten', group: 'one', label: '10 listeners, 1 name', unit: 'deliveries/s' },
  { key: 'names', group: 'names', label: '1000 names, 1 listener each, round-robin', unit: 'deliveries/s' },
  { key: 'wild1k', group: 'wild', label: 'wildcards: 1k patterns, 20k distinct topics (past the route cache)', unit: 'events/s' },
  { key: 'wild10k', group: 'wild', label: 'wildcards: 10k patterns, 20k distinct topics (past the route cache)', unit: 'events/s' },
  { key: 'hot1k', group: 'wild', label: 'wildcards: 1k patterns, hot topics (1,000 distinct)', unit: 'events/s' },
  { key: 'hot10k', group: 'wild', label: 'wildcards: 10k patterns, hot topics (1,000 distinct)', unit: 'events/s' },
  { key: 'reg1k', group: 'scale', label: 'subscribe 1,000 handlers to one topic', unit: 'ms' },
  { key: 'reg10k', group: 'scale', label: 'subscribe 10,000 handlers to one topic', unit: 'ms' },
  { key: 'reg100k', group: 'scale', label: 'subscribe 100,000 handlers to one topic', unit: 'ms' },
  { key: 'regWild', group: 'scale', label: 'register 100,000 wildcard patterns', unit: 'ms' },
  { key: 'heapOne', group: 'scale', label: 'heap per subscription: 100,000 handlers on one topic', unit: 'bytes' },
  { key: 'heapMany', group: 'scale', label: 'heap per subscription: 100,000 topics, 1 handler each', unit: 'bytes' },
] as const
type ScenarioKey = (typeof SCENARIOS)[number]['key']
type Scenario = (typeof SCENARIOS)[number]
/** Lower is better for these units. */
const lowerIsBetter = (s: Scenario) => s.unit === 'ms' || s.unit === 'bytes'

/** Each group runs in its own fresh process per library and round (see bench/lib/node-runner.mjs):
 *  a scenario measured after another inherits its JIT feedback, which made the "names" figure
 *  swing 0.96-1.41x RxJS depending on what ran before it. */
export const groups = [
  { key: 'one', libraries: ALL },
  { key: 'names', libraries: ALL },
  { key: 'wild', libraries: WILD },
  { key: 'scale', libraries: ['tidings', 'eventemitter3', 'eventemitter2'] },
]

interface ScenarioResult {
  /** Median deliveries/s (exact scenarios) or published events/s (wildcards). */
  perSec: number
  samples: number[]
  ops: number
  /** Time to register the listeners/patterns. */
  setupMs: number
}
/** A rate scenario's result, or a plain number (ms, bytes) for the scale scenarios. */
export type RoutingResult = Partial<Record<ScenarioKey, ScenarioResult | number | null | Failed>>

const RUNS = 5
const WILDCARD_RUNS = 3
/** Distinct topics per publish cycle: ten times the route cache's starting size (2048; it grows when topics recur) ... */
const MANY_TOPICS = 20_000
/** ... and few enough that every topic stays cached after the first cycle. */
const HOT_TOPICS = 1000
const payload = { n: 1 }

function scaled(r: RateResult, deliveriesPerOp: number, setupMs: number): ScenarioResult {
  return { perSec: r.perSec * deliveriesPerOp, samples: r.samples.map((s) => s * deliveriesPerOp), ops: r.ops, setupMs }
}

function oneName(lib: BenchLibrary, listeners: number): ScenarioResult {
  const em = lib.create()
  let count = 0
  const t0 = performance.now()
  for (let l = 0; l < listeners; l++) em.on('bench.one', () => void count++)
  const setupMs = performance.now() - t0
  const r = measureRate(
    (ops) => {
      count = 0
      for (let i = 0; i < ops; i++) em.publish('bench.one', payload)
      expectCount(`deliveries to ${listeners} listener(s)`, count, ops * listeners)
    },
    { runs: RUNS },
  )
  return scaled(r, listeners, setupMs)
}

function manyNames(lib: BenchLibrary, nameCount: number): ScenarioResult {
  const em = lib.create()
  const names = Array.from({ length: nameCount }, (_, i) => `bench.name${i}`)
  const counts = new Int32Array(nameCount)
  const t0 = performance.now()
  names.forEach((name, i) => em.on(name, () => void (counts[i] = (counts[i] as number) + 1)))
  const setupMs = performance.now() - t0
  const r = measureRate(
    (ops) => {
      counts.fill(0)
      let j = 0
      for (let i = 0; i < ops; i++) {
        em.publish(names[j] as string, payload)
        if (++j === nameCount) j = 0
      }
      const each = ops / nameCount
      for (let k = 0; k < nameCount; k++) expectCount(`deliveries to ${names[k]}`, counts[k] as number, each)
    },
    { runs: RUNS, multipleOf: nameCount },
  )
  return scaled(r, 1, setupMs)
}

function wildcards(lib: BenchLibrary, em: BenchEmitter, patternCount: number, distinctTopics: number): ScenarioResult | null {
  const onPattern = em.onPattern
  if (!onPattern) return null
  const w = wildcardWorkload(patternCount, distinctTopics)
  const counts = new Int32Array(patternCount)
  const t0 = performance.now()
  w.patterns.forEach((p, k) => onPattern(p, () => void (counts[k] = (counts[k] as number) + 1)))
  const setupMs = performance.now() - t0
  const cycle = w.cycle
  const length = cycle.length
  const r = measureRate(
    (ops) => {
      counts.fill(0)
      let j = 0
      for (let i = 0; i < ops; i++) {
        em.publish(cycle[j] as string, payload)
        if (++j === length) j = 0
      }
      const cycles = ops / length
      for (let k = 0; k < patternCount; k++) {
        expectCount(`${lib.label}: deliveries to pattern ${w.patterns[k]}`, counts[k] as number, cycles * (w.perPattern[k] as number))
      }
    },
    { runs: WILDCARD_RUNS, multipleOf: length },
  )
  return scaled(r, 1, setupMs)
}

export async function measure(name: string, _round = 0, group = ''): Promise<RoutingResult> {
  const lib = LIBRARIES[name]
  if (!lib) throw new Error(`unknown library ${name}; expected one of ${libraries.join(', ')}`)
  const out: RoutingResult = {}
  // BENCH_SCENARIOS=names,wild1k measures only those (for profiling one scenario in isolation).
  const only = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['BENCH_SCENARIOS']?.split(',')
  const record = async (key: ScenarioKey, run: () => ScenarioResult | number | null) => {
    const scenario = SCENARIOS.find((s) => s.key === key)!
    if (only && !only.includes(key)) return
    if (group !== '' && scenario.group !== group) return
    const result = await attempt(scenario.label, run)
    out[key] = result
    if (isFailed(result)) return
    progress(
      result === null
        ? `${scenario.label}: n/a`
        : typeof result === 'number'
          ? `${scenario.label}: ${result.toFixed(1)} ${scenario.unit}`
          : `${scenario.label}: ${formatRate(result.perSec)}/s (setup ${result.setupMs.toFixed(1)} ms)`,
    )
  }
  await record('one', () => oneName(lib, 1))
  await record('ten', () => oneName(lib, 10))
  await record('names', () => manyNames(lib, 1000))
  await record('wild1k', () => wildcards(lib, lib.create(), 1000, MANY_TOPICS))
  await record('wild10k', () => wildcards(lib, lib.create(), 10_000, MANY_TOPICS))
  await record('hot1k', () => wildcards(lib, lib.create(), 1000, HOT_TOPICS))
  await record('hot10k', () => wildcards(lib, lib.create(), 10_000, HOT_TOPICS))
  await record('reg1k', () => registerOnOneTopic(lib, HANDLER_COUNTS[0]))
  await record('reg10k', () => registerOnOneTopic(lib, HANDLER_COUNTS[1]))
  await record('reg100k', () => registerOnOneTopic(lib, HANDLER_COUNTS[2]))
  await record('regWild', () => registerPatterns(lib, WILDCARD_PATTERNS))
  await record('heapOne', () => heapPerSubscription(lib, HEAP_SUBSCRIPTIONS, false))
  await record('heapMany', () => heapPerSubscription(lib, HEAP_SUBSCRIPTIONS, true))
  return out
}

type Target =
  | { scenario: ScenarioKey; peer: string; min: number }
  | { scenario: ScenarioKey; max: number; unit: string }
const TARGETS: Target[] = [
  { scenario: 'one', peer: 'eventemitter3', min: 0.6 },
  { scenario: 'names', peer: 'eventemitter3', min: 0.8 },
  { scenario: 'names', peer: 'rxjs', min: 2 },
  { scenario: 'wild1k', peer: 'eventemitter2', min: 5 },
  { scenario: 'wild10k', peer: 'eventemitter2', min: 5 },
  { scenario: 'hot1k', peer: 'eventemitter2', min: 5 },
  { scenario: 'hot10k', peer: 'eventemitter2', min: 5 },
  // "At most 10x eventemitter3's time" is a speed ratio of at least 0.1.
  { scenario: 'reg1k', peer: 'eventemitter3', min: 0.1 },
  { scenario: 'reg10k', peer: 'eventemitter3', min: 0.1 },
  { scenario: 'reg100k', peer: 'eventemitter3', min: 0.1 },
  { scenario: 'reg100k', max: 200, unit: 'ms' },
  { scenario: 'regWild', max: 500, unit: 'ms' },
  { scenario: 'heapOne', max: 250, unit: 'bytes' },
  { scenario: 'heapMany', max: 250, unit: 'bytes' },
]

const num = (x: ScenarioResult | number | null | Failed | undefined): number | undefined =>
  typeof x === 'number' ? x : x && 'perSec' in x ? x.perSec : undefined

const fmt = (s: Scenario, v: number) => (s.unit === 'ms' ? `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms` : s.unit === 'bytes' ? `${v.toFixed(0)} B` : formatRate(v))

export function report(outcomes: Outcomes<RoutingResult>): BenchTable {
  const roundsOf = (lib: string): RoutingResult[] => {
    const o = outcomes[lib]
    return o?.ok ? o.rounds : []
  }
  const failedIn = (lib: string, key: ScenarioKey) => roundsOf(lib).some((r) => isFailed(r[key]))
  const spread = (lib: string, key: ScenarioKey): Spread | undefined => spreadOf(roundsOf(lib).map((r) => num(r[key])))
  const cellFor = (lib: string, s: Scenario): string => {
    const o = outcomes[lib]
    if (!o) return 'not run'
    if (!o.ok || failedIn(lib, s.key)) return 'FAILED'
    if (!groups.find((g) => g.key === s.group)?.libraries.includes(lib)) return 'n/a'
    const m = spread(lib, s.key)
    return m ? fmt(s, m.median) + formatSpread(m) : 'n/a'
  }
  /** Tidings against a peer, per round (rounds alternate the libraries, so round i of each ran
   *  under the same load), as a speed ratio: above 1 Tidings is faster (or, for heap, leaner). */
  const ratio = (s: Scenario, peer: string): Spread | undefined => {
    const a = roundsOf('tidings')
    const b = roundsOf(peer)
    const per: number[] = []
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const x = num(a[i]?.[s.key])
      const y = num(b[i]?.[s.key])
      if (x === undefined || y === undefined || x <= 0 || y <= 0) continue
      per.push(lowerIsBetter(s) ? y / x : x / y)
    }
    return spreadOf(per)
  }
  const ratioCell = (s: Scenario, peer: string) => {
    const r = ratio(s, peer)
    return r === undefined ? 'n/a' : formatRatio(r.median) + formatSpread(r)
  }
  const rows = SCENARIOS.map((s) => [
    s.label,
    s.unit,
    ...libraries.map((lib) => cellFor(lib, s)),
    ratioCell(s, 'eventemitter3'),
    ratioCell(s, 'rxjs'),
    ratioCell(s, 'eventemitter2'),
  ])
  const notes: string[] = []
  for (const t of TARGETS) {
    const s = SCENARIOS.find((x) => x.key === t.scenario)!
    if ('peer' in t) {
      const r = ratio(s, t.peer)
      const peer = LIBRARIES[t.peer]?.label ?? t.peer
      const what = lowerIsBetter(s) ? `at most ${1 / t.min}x ${peer}'s ${s.unit === 'ms' ? 'time' : 'heap'}` : `>= ${t.min}x ${peer}`
      notes.push(
        r === undefined
          ? `Target ${s.label}: Tidings ${what}: not measured`
          : lowerIsBetter(s)
            ? `Target ${s.label}: Tidings ${what}: ${formatRatio(1 / r.median)} its ${s.unit === 'ms' ? 'time' : 'heap'} (median of ${r.n} rounds, range ${formatRatio(1 / r.max)}-${formatRatio(1 / r.min)}), **${r.median >= t.min ? 'met' : 'not met'}**`
            : `Target ${s.label}: Tidings ${what}: ${formatRatio(r.median)} (median of ${r.n} rounds, range ${formatRatio(r.min)}-${formatRatio(r.max)}), **${r.median >= t.min ? 'met' : 'not met'}**`,
      )
    } else {
      const m = spread('tidings', t.scenario)
      notes.push(
        m === undefined
          ? `Target ${s.label}: Tidings <= ${t.max} ${t.unit}: not measured`
          : `Target ${s.label}: Tidings <= ${t.max} ${t.unit}: ${fmt(s, m.median)} (median of ${m.n} rounds, ${fmt(s, m.min)}-${fmt(s, m.max)}), **${m.median <= t.max ? 'met' : 'not met'}**`,
      )
    }
  }
  notes.push(
    `Method: ${rounds} process rounds; in each round every scenario group (${groups.map((g) => g.key).join(', ')}) runs in a fresh ` +
      '`node --expose-gc` process per library, the libraries alternating, so load from elsewhere on the machine hits all of them ' +
      `and no scenario inherits another's JIT state. Rates: a round reports the median of ${RUNS} timed runs of ~80 ms of ` +
      `${clock.name} after calibration and warm-up (full GC between runs). Cells: the median over rounds ± half the range; ratios: ` +
      'the median of the per-round ratios (round i of each library ran side by side). Every run checks each listener\'s or ' +
      "pattern's delivery count; a wrong count fails the library. Tidings builds a full envelope per publish; the payload object is shared.",
    'Wildcard workload: patterns `sK.b.c`, `sK.*.c`, `sK.**` in equal thirds with distinct first segments; each ' +
      `cycle publishes ${MANY_TOPICS.toLocaleString('en-US')} distinct topics in shuffled order: 10% match exactly one ` +
      'pattern, 45% have an unknown first segment, 45% are near misses (known first segment, wrong later segment). ' +
      `That many distinct topics are ten times the route cache's starting size (2048); the cache grows when they recur (up to routeCacheSize, 65,536 by default), so those rows measure ` +
      `the misses until it has grown, then a large cache; the "hot topics" rows cycle ${HOT_TOPICS.toLocaleString('en-US')} distinct topics (same mix), which all stay cached.`,
    'Scale rows: CPU ms to subscribe N distinct handler functions to one topic on a fresh emitter (median of 41, 9 and 3 ' +
      'emitters per round for 1k, 10k and 100k), then one publish must reach all N; 100k wildcard patterns of the workload\'s three shapes, then one publish per ' +
      'shape must reach exactly its pattern. Heap: heapUsed after a full GC, before and after subscribing (topic strings and ' +
      'handler functions exist before the baseline), divided by the number of subscriptions. For ms and bytes rows the ratio ' +
      'columns are peer / Tidings, so above 1.00x Tidings is faster or leaner there too.',
  )
  const failures = libraries.flatMap((lib) => {
    const o = outcomes[lib]
    const name = LIBRARIES[lib]?.label ?? lib
    if (o && !o.ok) return [`${name} FAILED: ${o.error.split('\n')[0]}`]
    return SCENARIOS.flatMap((s) => {
      const r = roundsOf(lib).map((round) => round[s.key]).find(isFailed)
      return r ? [`${name} FAILED ${s.label}: ${r.failed}`] : []
    })
  })
  notes.push(...failures)
  return {
    title: 'Core routing vs peers (Node)',
    columns: ['Scenario', 'Unit', ...libraries.map((l) => LIBRARIES[l]?.label ?? l), 'Tidings / ee3', 'Tidings / RxJS', 'Tidings / EE2'],
    rows,
    notes,
    ok: failures.length === 0,
  }
}
