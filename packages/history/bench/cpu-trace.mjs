// CPU time per task, from Chromium's own trace, for the history's scale targets: the longest
// main-thread task of a where-only scan, and the CPU each persistent ack costs per thread (page
// and IndexedDB backend). Trace events carry `tdur`, the thread's CPU time, which other processes'
// load does not stretch the way it stretches wall-clock gaps (it can still add cache misses).
//   node packages/history/bench/cpu-trace.mjs [size=100000] [acks=200]
// Environment: PHASES=scan,acks,import (default: all three); DETAIL=1 lists what ran inside the
// scan's longest task (a GC, our code); GAPS=1 runs the scan under the bench's heartbeat and lists
// the tasks inside each gap over 12 ms; QUERIES=<rounds> fills a sparse store of the same size and
// times the bench's type + time query on both (medians); PROFILE=sparse|burst|acks (PROFILE_N=<count>, default
// 100,000) prints a V8 CPU profile of the page during that many imported events or acks; HISTORY_SRC=<dir> serves @tidings/history from another copy of its src (say, the
// previous commit's, from `git archive`), for a before/after pair in the same conditions.
// On-disk profile (a persistent context with a temp --user-data-dir), like scale.disk.browser-bench;
// the page side is cpu-probe.ts (every phase checks its counts and order).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromiumArgs, chromiumPath } from '../../../e2e/chromium.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const size = Number(process.argv[2] ?? 100_000)
const ackCount = Number(process.argv[3] ?? 200)
const phases = (process.env.PHASES ?? 'scan,acks,import').split(',')
const TASK_NAMES = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadPool_RunTask'])
const CATEGORIES = ['toplevel', 'disabled-by-default-devtools.timeline', 'IndexedDB', 'devtools.timeline', 'v8', 'disabled-by-default-v8.gc'].join(',')

const { createServer, defaultClientConditions } = await import('vite')
const server = await createServer({
  configFile: false,
  root: ROOT,
  logLevel: 'warn',
  publicDir: false,
  cacheDir: path.join(ROOT, 'node_modules/.vite-cpu-trace'),
  // HISTORY_SRC=<dir>: serve @tidings/history from another copy of its src (a before/after pair).
  resolve: {
    conditions: ['source', ...defaultClientConditions],
    alias: process.env.HISTORY_SRC ? { '@tidings/history': path.resolve(process.env.HISTORY_SRC, 'index.ts') } : {},
  },
  optimizeDeps: { entries: ['packages/history/bench/cpu-probe.ts'], include: ['rxjs', 'rxjs/operators', 'picomatch/posix.js'] },
  server: { host: '127.0.0.1', port: 5191, strictPort: false, hmr: false, watch: null },
})
await server.listen()
const addr = server.httpServer.address()
const { chromium } = await import('playwright')
const dir = mkdtempSync(path.join(tmpdir(), 'cpu-trace-'))
const context = await chromium.launchPersistentContext(dir, { executablePath: chromiumPath(), args: chromiumArgs, headless: true })
const mainOf = (byThread) => byThread.get('CrRendererMain') ?? []
const r1 = (x) => x.toFixed(1)
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ')

try {
  const page = await context.newPage()
  await page.goto(`http://127.0.0.1:${addr.port}/bench/browser.html`)
  await page.evaluate(async () => void (await import('/packages/history/bench/cpu-probe.ts')))
  const cdp = await context.newCDPSession(page)

  /** Runs `fn` under a trace; returns its value and the trace's events. */
  async function traced(fn) {
    await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReturnAsStream' })
    const value = await fn()
    const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve))
    await cdp.send('Tracing.end')
    const { stream } = await complete
    let text = ''
    for (;;) {
      const chunk = await cdp.send('IO.read', { handle: stream, size: 1 << 22 })
      text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data
      if (chunk.eof) break
    }
    await cdp.send('IO.close', { handle: stream })
    const parsed = JSON.parse(text)
    return { value, events: Array.isArray(parsed) ? parsed : parsed.traceEvents }
  }

  /** Top-level tasks (RunTask) by thread name: their CPU (tdur) and wall (dur) in ms. */
  function tasks(events) {
    const names = new Map()
    for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name)
    const out = new Map()
    for (const e of events) {
      if (e.ph !== 'X' || !TASK_NAMES.has(e.name) || e.tdur === undefined) continue
      const thread = names.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`
      const list = out.get(thread) ?? []
      list.push({ cpu: e.tdur / 1000, wall: (e.dur ?? 0) / 1000, pid: e.pid, tid: e.tid, ts: e.ts, dur: e.dur ?? 0 })
      out.set(thread, list)
    }
    return out
  }

  console.log(`load ${load()} · filling ${size}...`)
  const rate = await page.evaluate((n) => globalThis.tidingsProbe.setup(n), size)
  console.log(`filled at ${Math.round(rate)} events/s · load ${load()}`)

  // The scan, 3 times.
  for (let r = 0; r < (phases.includes('scan') ? 3 : 0); r++) {
    const { value, events } = await traced(() => page.evaluate((raw) => (raw ? globalThis.tidingsProbe.rawScan(raw) : globalThis.tidingsProbe.scan()), Number(process.env.RAW ?? 0)))
    const main = mainOf(tasks(events)).sort((a, b) => b.cpu - a.cpu)
    const over = main.filter((t) => t.cpu > 16).length
    // The same without the garbage collector's share (MinorGC / MajorGC inside the task).
    const gcs = events.filter((e) => e.ph === 'X' && (e.name === 'MinorGC' || e.name === 'MajorGC') && e.tdur !== undefined)
    const gcIn = (t) => gcs.filter((e) => e.pid === t.pid && e.tid === t.tid && e.ts >= t.ts && e.ts <= t.ts + t.dur).reduce((a, e) => a + e.tdur / 1000, 0)
    const noGc = Math.max(0, ...main.slice(0, 40).map((t) => t.cpu - gcIn(t)))
    if (process.env.DETAIL) {
      const top = main[0]
      const inside = events.filter((e) => e.ph === 'X' && e.pid === top.pid && e.tid === top.tid && e.ts >= top.ts && e.ts + (e.dur ?? 0) <= top.ts + top.dur && (e.tdur ?? e.dur ?? 0) >= 500 && !TASK_NAMES.has(e.name))
      const minor = gcs.filter((e) => e.name === 'MinorGC').map((e) => e.tdur / 1000).sort((x, y) => y - x)
      const major = gcs.filter((e) => e.name === 'MajorGC').map((e) => e.tdur / 1000).sort((x, y) => y - x)
      console.log(`  MinorGC: ${minor.length}, ${r1(minor.reduce((x, y) => x + y, 0))} ms CPU, longest ${minor.slice(0, 5).map(r1).join(' / ')}; MajorGC: ${major.length}, longest ${major.slice(0, 3).map(r1).join(' / ')}`)
      console.log(`  inside the longest: ${inside.map((e) => `${e.name}${e.args?.data?.functionName ? `(${e.args.data.functionName})` : ''}${e.args?.data?.type ? `[${e.args.data.type}]` : ''} ${r1((e.tdur ?? e.dur) / 1000)}`).join(', ')}`)
    }
    console.log(`scan ${r + 1}: ${r1(value)} ms wall · main-thread tasks ${main.length}, longest CPU ${main.slice(0, 5).map((t) => r1(t.cpu)).join(' / ')} ms (wall of those ${main.slice(0, 5).map((t) => r1(t.wall)).join(' / ')}), over 16 ms CPU: ${over}, longest without GC ${r1(noGc)} ms · load ${load()}`)
  }
  // QUERIES=<rounds>: a sparse store of the same size, then the bench's type + time query on both.
  if (process.env.QUERIES) {
    console.log(`sparse filled at ${Math.round(await page.evaluate(() => globalThis.tidingsProbe.sparseSetup()))} events/s`)
    for (let r = 0; r < 3; r++) {
      const q = await page.evaluate((n) => globalThis.tidingsProbe.queries(n), Number(process.env.QUERIES))
      console.log(`type + time query, median of ${process.env.QUERIES}: burst ${q.burst.toFixed(2)} ms, sparse ${q.sparse.toFixed(2)} ms (${(q.sparse / q.burst).toFixed(2)}x) · load ${load()}`)
    }
  }
  // GAPS=1: the scan under the bench's heartbeat; lists the main-thread tasks inside each gap
  // over 12 ms (wall, CPU, and what ran inside for 0.3 ms or more).
  for (let r = 0; r < (process.env.GAPS ? 3 : 0); r++) {
    const { value, events } = await traced(() => page.evaluate(() => globalThis.tidingsProbe.gapScan()))
    const main = mainOf(tasks(events)).filter((t) => t.dur > 0)
    const top = main.filter((t) => !main.some((o) => o !== t && o.ts <= t.ts && o.ts + o.dur >= t.ts + t.dur && (o.ts < t.ts || o.dur > t.dur)))
    const marks = events.filter((e) => e.name === 'TimeStamp' && String(e.args?.data?.message ?? '').startsWith('gap:'))
    console.log(`gap scan ${r + 1}: ${r1(value.total)} ms, longest gap ${r1(value.longest)} ms, gaps over 12 ms: ${marks.length} · load ${load()}`)
    for (const m of marks.sort((a, b) => parseFloat(b.args.data.message.slice(4)) - parseFloat(a.args.data.message.slice(4))).slice(0, 4)) {
      const g = parseFloat(m.args.data.message.slice(4))
      const inGap = top.filter((t) => t.pid === m.pid && t.ts + t.dur > m.ts - g * 1000 && t.ts < m.ts)
      console.log(`  gap ${r1(g)} ms: ${inGap.length} tasks, wall ${r1(inGap.reduce((a, t) => a + t.wall, 0))} ms, CPU ${r1(inGap.reduce((a, t) => a + t.cpu, 0))} ms`)
      for (const t of inGap.sort((a, b) => b.dur - a.dur).slice(0, 4)) {
        const inside = events.filter((e) => e.ph === 'X' && e.pid === t.pid && e.tid === t.tid && e.ts >= t.ts && e.ts + (e.dur ?? 0) <= t.ts + t.dur && (e.dur ?? 0) >= 300 && !TASK_NAMES.has(e.name))
        console.log(`    task ${r1(t.wall)} ms wall / ${r1(t.cpu)} CPU: ${inside.map((e) => `${e.name}${e.args?.data?.functionName ? `(${e.args.data.functionName})` : ''}${e.args?.type ? `[${e.args.type}]` : ''} ${r1(e.dur / 1000)}`).join(', ')}`)
      }
    }
  }
  // Acks: CPU per ack, per thread.
  if (phases.includes('acks')) {
  const { value: lat, events } = await traced(() => page.evaluate((n) => globalThis.tidingsProbe.acks(n), ackCount))
  const byThread = tasks(events)
  const rows = [...byThread].map(([name, list]) => [name, list.reduce((a, t) => a + t.cpu, 0)]).sort((a, b) => b[1] - a[1]).slice(0, 8)
  const sorted = [...lat].sort((a, b) => a - b)
  console.log(`acks: ${ackCount}, wall p50 ${r1(sorted[Math.floor(ackCount / 2)])} p99 ${r1(sorted[Math.floor(ackCount * 0.99)])} ms · load ${load()}`)
  for (const [name, cpu] of rows) console.log(`  ${name}: ${r1(cpu / ackCount)} ms CPU per ack`)
  }
  if (process.env.PROFILE) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
    await cdp.send('Profiler.start')
    await page.evaluate(([k, n]) => globalThis.tidingsProbe[k](n), [process.env.PROFILE, Number(process.env.PROFILE_N ?? 100_000)])
    const { profile } = await cdp.send('Profiler.stop')
    const self = new Map()
    const dt = new Map(profile.nodes.map((n) => [n.id, 0]))
    profile.samples.forEach((id, i) => dt.set(id, dt.get(id) + (profile.timeDeltas[i] ?? 0)))
    for (const n of profile.nodes) {
      const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`
      self.set(key, (self.get(key) ?? 0) + dt.get(n.id))
    }
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(v / 1000).toFixed(0)} ms self  ${k}`)
  }
  // Imports, sparse and burst, 100k each, 2 rounds alternating.
  for (let r = 0; r < (phases.includes('import') ? 2 : 0); r++) {
    for (const kind of ['sparse', 'burst']) {
      const { value, events: ev } = await traced(() => page.evaluate(([k, n]) => globalThis.tidingsProbe[k](n), [kind, 100_000]))
      const t = [...tasks(ev)].map(([name, list]) => [name, list.reduce((a, x) => a + x.cpu, 0)]).sort((a, b) => b[1] - a[1]).slice(0, 4)
      console.log(`import ${kind} 100k: ${Math.round(value)} events/s · CPU ${t.map(([n, c]) => `${n} ${Math.round(c)} ms`).join(', ')} · load ${load()}`)
    }
  }
} finally {
  await context.close()
  rmSync(dir, { recursive: true, force: true })
  await server.close()
}
