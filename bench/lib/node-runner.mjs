// Node benchmarks: bench/*.bench.ts and packages/*/bench/*.bench.ts are bundled by Vite (SSR build,
// @tidings/* from source, npm dependencies left external so Node loads them as published) into
// bench/results/.tmp/<pid>/build, then each library is measured in its own `node --expose-gc` process.
//
// A Node benchmark module exports either
//   libraries: string[]; measure(library, round) => Promise<json>;
//   report(outcomes) => BenchTable | BenchTable[]; optionally rounds: number (default 1)
// (outcomes: { [library]: { ok: true, rounds: json[] } | { ok: false, error } }; rounds run
// interleaved, A B C A B C, so a burst of load from elsewhere on the machine hits every library), or
//   default: () => Promise<BenchTable | BenchTable[]>   (run once, in one process).
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { RESULT_MARK } from './protocol.mjs'

const CHILD = fileURLToPath(new URL('./child.mjs', import.meta.url))
const CHILD_TIMEOUT_MS = 180_000

function entryName(rel) {
  return rel.replace(/\.bench\.ts$/, '').replace(/[\\/]/g, '__')
}

/** Bundles the given repo-relative bench files; returns { rel: absolute path of the .mjs }. */
export async function buildNodeBenches(root, files, outDir, cacheDir) {
  const { build, defaultServerConditions } = await import('vite')
  const input = Object.fromEntries(files.map((f) => [entryName(f), path.join(root, f)]))
  const conditions = ['source', ...defaultServerConditions]
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    publicDir: false,
    cacheDir,
    resolve: { conditions },
    ssr: { noExternal: [/^@tidings\//], resolve: { conditions } },
    build: {
      ssr: true,
      outDir,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      sourcemap: false,
      copyPublicDir: false,
      reportCompressedSize: false,
      rolldownOptions: {
        input,
        output: { format: 'es', entryFileNames: '[name].mjs', chunkFileNames: 'chunks/[name]-[hash].mjs' },
      },
    },
  })
  return Object.fromEntries(files.map((f) => [f, path.join(outDir, `${entryName(f)}.mjs`)]))
}

/** Runs one library (or '-' for a default export) in a fresh process; resolves to its outcome. */
export function runChild(builtFile, library, round, label, log, group = '') {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, builtFile, library, String(round), group], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderrTail = ''
    let pending = ''
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => {
      stderrTail = (stderrTail + d).slice(-4000)
      pending += d
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) log(`  [${label}] ${line}`)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (pending) log(`  [${label}] ${pending}`)
      const line = stdout.split('\n').findLast((l) => l.startsWith(RESULT_MARK))
      for (const extra of stdout.split('\n')) {
        if (extra && !extra.startsWith(RESULT_MARK)) log(`  [${label}] ${extra}`)
      }
      if (line) {
        try {
          resolve(JSON.parse(line.slice(RESULT_MARK.length)))
          return
        } catch (e) {
          resolve({ ok: false, error: `unreadable result line: ${e}` })
          return
        }
      }
      const why = signal === 'SIGKILL' ? `timed out after ${CHILD_TIMEOUT_MS / 1000} s` : `exited with code ${code}`
      resolve({ ok: false, error: `benchmark process ${why}\n${stderrTail}` })
    })
  })
}

const asTables = (x) => (Array.isArray(x) ? x : [x])
const load = (l) => l.map((x) => x.toFixed(1)).join(' ')

/**
 * Runs one built module; returns [{ table } | { error, title }] in print order.
 * `filter` (optional) keeps only libraries whose "<rel>#<library>" contains it.
 */
export async function runNodeModule(rel, builtFile, filter, roundsOverride, log) {
  const mod = await import(pathToFileURL(builtFile).href)
  if (Array.isArray(mod.libraries) && typeof mod.measure === 'function' && typeof mod.report === 'function') {
    const libraries = mod.libraries.filter((lib) => !filter || rel.includes(filter) || `${rel}#${lib}`.includes(filter))
    if (libraries.length === 0) return []
    const rounds = roundsOverride ?? (Number.isInteger(mod.rounds) && mod.rounds > 0 ? mod.rounds : 1)
    // `groups` (optional): each group of scenarios runs in its own fresh process per library and
    // round, so one scenario's JIT feedback (polymorphic call sites, inlining decisions) never
    // shapes another's. A round's result is the merge of its groups' results.
    const groups = Array.isArray(mod.groups) ? mod.groups : [{ key: '', libraries }]
    const outcomes = Object.fromEntries(libraries.map((lib) => [lib, { ok: true, rounds: [] }]))
    const loadStart = os.loadavg()
    for (let round = 0; round < rounds; round++) {
      for (const lib of libraries) if (outcomes[lib].ok) outcomes[lib].rounds.push({})
      for (const group of groups) {
        for (const lib of libraries) {
          if (!outcomes[lib].ok || !group.libraries.includes(lib)) continue
          const name = `${lib}${group.key ? ` ${group.key}` : ''}${rounds > 1 ? ` ${round + 1}/${rounds}` : ''}`
          log(`${rel} · ${name}`)
          const t0 = Date.now()
          const outcome = await runChild(builtFile, lib, round, name, log, group.key)
          log(`${rel} · ${name}: ${outcome.ok ? 'done' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
          if (outcome.ok) Object.assign(outcomes[lib].rounds[round], outcome.result)
          else {
            log(outcome.error)
            outcomes[lib] = outcome
          }
        }
      }
    }
    const loadNote = `Load average (1, 5, 15 min) on ${os.cpus().length} CPUs: ${load(loadStart)} when this table's runs started, ${load(os.loadavg())} when they ended.`
    return asTables(mod.report(outcomes)).map((table) => ({ table: { ...table, notes: [...(table.notes ?? []), loadNote] } }))
  }
  if (typeof mod.default === 'function') {
    if (filter && !rel.includes(filter)) return []
    log(rel)
    const outcome = await runChild(builtFile, '-', 0, path.basename(rel), log)
    if (!outcome.ok) return [{ title: rel, error: outcome.error }]
    return asTables(outcome.result).map((table) => ({ table }))
  }
  return [{ title: rel, error: 'exports neither { libraries, measure, report } nor a default function' }]
}
