// Core routing: Tidings against eventemitter3, mitt, EventEmitter2 (wildcard mode) and an RxJS
// Subject per name. One process per library; each timed run checks per-listener/per-pattern counts.
import { clock, expectCount, formatRate, formatRatio, measureRate, type RateResult } from './harness.ts'
import { attempt, fastest, isFailed, progress, type Failed, type Outcomes } from './node-bench.ts'
import type { BenchEmitter, BenchLibrary } from './routing/emitter.ts'
import { eventemitter2, eventemitter3, mittLibrary, rxjsSubjects } from './routing/peers.ts'
import { tidings } from './routing/tidings.ts'
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
/** Process rounds per library, interleaved; each scenario reports its fastest round. */
export const rounds = 2

const SCENARIOS = [
  { key: 'one', label: '1 listener, 1 name', unit: 'deliveries/s' },
  { key: 'ten', label: '10 listeners, 1 name', unit: 'deliveries/s' },
  { key: 'names', label: '1000 names, 1 listener each, round-robin', unit: 'deliveries/s' },
  { key: 'wild1k', label: 'wildcards: 1k patterns, 10% of events match', unit: 'events/s' },
  { key: 'wild10k', label: 'wildcards: 10k patterns, 10% of events match', unit: 'events/s' },
  { key: 'hot1k', label: 'wildcards: 1k patterns, hot topics (1,000 distinct)', unit: 'events/s' },
  { key: 'hot10k', label: 'wildcards: 10k patterns, hot topics (1,000 distinct)', unit: 'events/s' },
] as const
type ScenarioKey = (typeof SCENARIOS)[number]['key']

interface ScenarioResult {
  /** Median deliveries/s (exact scenarios) or published events/s (wildcards). */
  perSec: number
  samples: number[]
  ops: number
  /** Time to register the listeners/patterns. */
  setupMs: number
}
export type RoutingResult = Partial<Record<ScenarioKey, ScenarioResult | null | Failed>>

const RUNS = 7
const WILDCARD_RUNS = 5
/** Distinct topics per publish cycle: more than Tidings' default route cache (2048) holds ... */
const MANY_TOPICS = 10_000
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

export async function measure(name: string): Promise<RoutingResult> {
  const lib = LIBRARIES[name]
  if (!lib) throw new Error(`unknown library ${name}; expected one of ${libraries.join(', ')}`)
  const out: RoutingResult = {}
  // BENCH_SCENARIOS=names,wild1k measures only those (for profiling one scenario in isolation).
  const only = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env['BENCH_SCENARIOS']?.split(',')
  const record = async (key: ScenarioKey, run: () => ScenarioResult | null) => {
    if (only && !only.includes(key)) return
    const label = SCENARIOS.find((s) => s.key === key)?.label ?? key
    const result = await attempt(label, run)
    out[key] = result
    if (isFailed(result)) return
    progress(result ? `${label}: ${formatRate(result.perSec)}/s (setup ${result.setupMs.toFixed(1)} ms)` : `${label}: n/a`)
  }
  await record('one', () => oneName(lib, 1))
  await record('ten', () => oneName(lib, 10))
  await record('names', () => manyNames(lib, 1000))
  await record('wild1k', () => wildcards(lib, lib.create(), 1000, MANY_TOPICS))
  await record('wild10k', () => wildcards(lib, lib.create(), 10_000, MANY_TOPICS))
  await record('hot1k', () => wildcards(lib, lib.create(), 1000, HOT_TOPICS))
  await record('hot10k', () => wildcards(lib, lib.create(), 10_000, HOT_TOPICS))
  return out
}

interface Target {
  scenario: ScenarioKey
  peer: string
  min: number
}
const TARGETS: Target[] = [
  { scenario: 'names', peer: 'eventemitter3', min: 0.5 },
  { scenario: 'names', peer: 'rxjs', min: 1 },
  { scenario: 'wild1k', peer: 'eventemitter2', min: 2 },
  { scenario: 'wild10k', peer: 'eventemitter2', min: 5 },
  { scenario: 'hot1k', peer: 'eventemitter2', min: 2 },
  { scenario: 'hot10k', peer: 'eventemitter2', min: 5 },
]

export function report(outcomes: Outcomes<RoutingResult>): BenchTable {
  const pick = (lib: string, key: ScenarioKey) => {
    const o = outcomes[lib]
    return o?.ok ? fastest(o.rounds.map((round) => round[key])) : undefined
  }
  const best = (lib: string, key: ScenarioKey): ScenarioResult | undefined => {
    const r = pick(lib, key)
    return r && 'perSec' in r ? r : undefined
  }
  const value = (lib: string, key: ScenarioKey): number | undefined => best(lib, key)?.perSec
  const cellFor = (lib: string, key: ScenarioKey): string => {
    const o = outcomes[lib]
    if (!o) return 'not run'
    if (!o.ok || isFailed(pick(lib, key))) return 'FAILED'
    const r = best(lib, key)
    return r ? formatRate(r.perSec) : 'n/a'
  }
  const ratio = (key: ScenarioKey, peer: string): number | undefined => {
    const a = value('tidings', key)
    const b = value(peer, key)
    return a !== undefined && b !== undefined && b > 0 ? a / b : undefined
  }
  const ratioCell = (key: ScenarioKey, peer: string) => {
    const r = ratio(key, peer)
    return r === undefined ? 'n/a' : formatRatio(r)
  }
  const rows = SCENARIOS.map((s) => [
    s.label,
    s.unit,
    ...libraries.map((lib) => cellFor(lib, s.key)),
    ratioCell(s.key, 'eventemitter3'),
    ratioCell(s.key, 'rxjs'),
    ratioCell(s.key, 'eventemitter2'),
  ])
  const notes: string[] = []
  for (const t of TARGETS) {
    const r = ratio(t.scenario, t.peer)
    const label = SCENARIOS.find((s) => s.key === t.scenario)?.label ?? t.scenario
    const peer = LIBRARIES[t.peer]?.label ?? t.peer
    notes.push(
      r === undefined
        ? `Target ${label}: Tidings >= ${t.min}x ${peer}: not measured`
        : `Target ${label}: Tidings >= ${t.min}x ${peer}: ${formatRatio(r)}, **${r >= t.min ? 'met' : 'not met'}**`,
    )
  }
  const setups = libraries
    .map((lib) => {
      const o = outcomes[lib]
      const times = o?.ok
        ? o.rounds.flatMap((round) => {
            const r = round.wild10k
            return r && 'setupMs' in r ? [r.setupMs] : []
          })
        : []
      return times.length ? `${LIBRARIES[lib]?.label} ${Math.min(...times).toFixed(0)} ms` : undefined
    })
    .filter((x) => x !== undefined)
  if (setups.length) notes.push(`Registering 10k patterns: ${setups.join(', ')}.`)
  notes.push(
    `Each figure: the faster of ${rounds} process rounds per library (interleaved across libraries, so load from ` +
      `elsewhere on the machine hits all of them); a round reports the median of ${RUNS} timed runs (${WILDCARD_RUNS} for ` +
      `wildcards) of ~80 ms of ${clock.name} after calibration and warm-up (node --expose-gc, full GC between runs). ` +
      "Every run checks each listener's or pattern's " +
      'delivery count; a wrong count fails the library. Tidings builds a full envelope per publish; the payload object is shared.',
    'Wildcard workload: patterns `sK.b.c`, `sK.*.c`, `sK.**` in equal thirds with distinct first segments; each ' +
      `cycle publishes ${MANY_TOPICS.toLocaleString('en-US')} distinct topics in shuffled order: 10% match exactly one ` +
      'pattern, 45% have an unknown first segment, 45% are near misses (known first segment, wrong later segment). ' +
      `That many distinct topics exceed Tidings' default route cache (2048), so those rows measure the pattern index; ` +
      `the "hot topics" rows cycle ${HOT_TOPICS.toLocaleString('en-US')} distinct topics (same mix), which all stay cached.`,
  )
  const failures = libraries.flatMap((lib) => {
    const o = outcomes[lib]
    const name = LIBRARIES[lib]?.label ?? lib
    if (o && !o.ok) return [`${name} FAILED: ${o.error.split('\n')[0]}`]
    return SCENARIOS.flatMap((s) => {
      const r = pick(lib, s.key)
      return isFailed(r) ? [`${name} FAILED ${s.label}: ${r.failed}`] : []
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
