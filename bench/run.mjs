#!/usr/bin/env node
// `npm run bench`: every Node benchmark (one process per library), then every browser benchmark
// (headless Chromium through Vite). Prints markdown tables, writes them to bench/results/latest.md,
// exits non-zero when a benchmark throws or its own verification fails (ok: false).
//   --node-only | --browser-only | --filter <substring of "path" or "path#library">
//   --rounds <n>: process rounds per library for Node benchmarks (default: the module's `rounds`)
import { mkdirSync, readdirSync, existsSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { errorToMarkdown, tableProblem, tableToMarkdown } from './lib/markdown.mjs'
import { buildNodeBenches, runNodeModule } from './lib/node-runner.mjs'
import { runBrowserBenches } from './lib/browser-runner.mjs'
import { startBenchNatsServer } from '../packages/nats/bench/server.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS = path.join(ROOT, 'bench', 'results')
// Build output and Vite caches are per run, so two runs at once (several people share this tree)
// never empty or re-optimize each other's files.
const WORK = path.join(RESULTS, '.tmp', String(process.pid))

const { values: flags } = parseArgs({
  options: {
    'node-only': { type: 'boolean', default: false },
    'browser-only': { type: 'boolean', default: false },
    filter: { type: 'string' },
    rounds: { type: 'string' },
    'history-size': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})
if (flags.help) {
  console.log('usage: node bench/run.mjs [--node-only | --browser-only] [--filter <substring>] [--rounds <n>] [--history-size 1m]')
  process.exit(0)
}
if (flags['node-only'] && flags['browser-only']) {
  console.error('--node-only and --browser-only exclude each other')
  process.exit(2)
}
const filter = flags.filter
const rounds = flags.rounds === undefined ? undefined : Number(flags.rounds)
if (rounds !== undefined && !(Number.isInteger(rounds) && rounds > 0)) {
  console.error(`--rounds wants a positive integer, got ${flags.rounds}`)
  process.exit(2)
}

// --history-size 1m adds 1,000,000 stored events to the history scale bench (minutes to fill).
const historySize = flags['history-size']
if (historySize !== undefined && historySize !== '1m') {
  console.error(`--history-size takes 1m (the default sizes, 10k and 100k, always run), got ${historySize}`)
  process.exit(2)
}
const browserOpts = historySize ? { params: { historySize }, timeoutMs: 1_800_000 } : {}

const log = (line) => process.stderr.write(`${line}\n`)

function list(dir, suffix) {
  if (!existsSync(path.join(ROOT, dir))) return []
  return readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => path.posix.join(dir, f))
}
function packageBenchDirs() {
  return readdirSync(path.join(ROOT, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.posix.join('packages', d.name, 'bench'))
    .sort()
}

const nodeFiles = [
  ...list('bench', '.bench.ts'),
  ...packageBenchDirs().flatMap((d) => list(d, '.bench.ts').filter((f) => !f.endsWith('.browser-bench.ts'))),
]
const browserFiles = packageBenchDirs().flatMap((d) => list(d, '.browser-bench.ts'))

// Node modules are filtered per library inside runNodeModule; a module whose path does not match
// may still match as "path#library", so all are built.
const sections = []
let failed = false
const started = Date.now()
const loadAtStart = os.loadavg()
if ((loadAtStart[0] ?? 0) > os.cpus().length) {
  log(`warning: load average ${loadAtStart[0]?.toFixed(1)} on ${os.cpus().length} CPUs: other work will skew the figures`)
}

function collect(kind, items, source) {
  if (items.length === 0) return
  for (const item of items) {
    if (item.error !== undefined) {
      failed = true
      sections.push(errorToMarkdown(item.title, `${kind} · ${source}`, item.error))
      continue
    }
    const problem = tableProblem(item.table)
    if (problem) {
      failed = true
      sections.push(errorToMarkdown(source, `${kind} · ${source}`, `not a BenchTable: ${problem}`))
      continue
    }
    if (!item.table.ok) failed = true
    sections.push(tableToMarkdown(item.table, `${kind} · ${source}`))
  }
  process.stdout.write(`${sections.slice(-items.length).join('\n')}\n`)
}

mkdirSync(RESULTS, { recursive: true })
// Leftovers of runs that were killed before they could clean up.
for (const pid of existsSync(path.dirname(WORK)) ? readdirSync(path.dirname(WORK)) : []) {
  try {
    process.kill(Number(pid), 0)
  } catch {
    rmSync(path.join(path.dirname(WORK), pid), { recursive: true, force: true })
  }
}
process.stdout.write(
  `# Tidings benchmarks\n\nNode ${process.version} · ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'unknown CPU'} · ` +
    `load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n\n`,
)

if (!flags['browser-only']) {
  if (nodeFiles.length === 0) log('no Node benchmarks found')
  else {
    log(`building ${nodeFiles.length} Node benchmark module(s)…`)
    let built
    try {
      built = await buildNodeBenches(ROOT, nodeFiles, path.join(WORK, 'build'), path.join(WORK, 'vite-ssr'))
    } catch (e) {
      failed = true
      collect('node', [{ title: 'Node benchmark build', error: e.stack ?? String(e) }], nodeFiles.join(', '))
    }
    for (const rel of built ? nodeFiles : []) {
      try {
        collect('node', await runNodeModule(rel, built[rel], filter, rounds, log), rel)
      } catch (e) {
        collect('node', [{ title: rel, error: e.stack ?? String(e) }], rel)
      }
    }
  }
}

if (!flags['node-only']) {
  const files = browserFiles.filter((f) => !filter || f.includes(filter))
  if (files.length === 0) log('no browser benchmarks found' + (filter ? ` matching "${filter}"` : ''))
  else {
    // The NATS bench needs a real nats-server: start one for the run unless one is given.
    let nats
    if (files.some((f) => f.includes('packages/nats/')) && !process.env.VITE_NATS_WS) {
      try {
        nats = await startBenchNatsServer()
        process.env.VITE_NATS_WS = nats.url
      } catch (e) {
        log(`nats bench: ${e.message} (its table will say skipped)`)
      }
    }
    try {
      const items = await runBrowserBenches(ROOT, files, path.join(WORK, 'vite-browser'), log, browserOpts)
      collect('browser', items, 'headless Chromium')
    } catch (e) {
      collect('browser', [{ title: 'Browser benchmarks', error: e.stack ?? String(e) }], files.join(', '))
    } finally {
      nats?.stop()
    }
  }
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
const load = (l) => l.map((x) => x.toFixed(1)).join(' ')
const busy = Math.max(loadAtStart[0] ?? 0, os.loadavg()[0] ?? 0) > os.cpus().length
const header = [
  '# Tidings benchmarks',
  '',
  `${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length}× ${cpu} · ${os.platform()} ${os.arch()}` +
    (filter ? ` · filter "${filter}"` : '') +
    ` · ${((Date.now() - started) / 1000).toFixed(0)} s · load average ${load(loadAtStart)} at start, ${load(os.loadavg())} at end`,
  '',
  ...(busy ? ['> The machine was busy (load average above its CPU count): absolute figures are low and ratios noisy.', ''] : []),
].join('\n')
writeFileSync(path.join(RESULTS, 'latest.md'), `${header}\n${sections.join('\n')}`)
rmSync(WORK, { recursive: true, force: true })
log(`\nwrote bench/results/latest.md${failed ? ' — FAILED: see the tables above' : ''}`)
process.exit(failed ? 1 : 0)
