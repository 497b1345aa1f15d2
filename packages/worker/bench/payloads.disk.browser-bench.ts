// page -> worker by payload size: Tidings (bus.publish over connectWorker) against plain
// postMessage (one message per event, the same payload) in the same page, rounds alternating,
// each timed until the worker confirms it counted every event in order. Then a burst of 50 x 1 MB
// events: the longest main-thread task while it goes out (PerformanceObserver 'longtask'), with
// the default byte bound, against the floor (plain postMessage of each event alone in its own
// task), and with the bound lifted (one message for the whole burst, the behaviour before batches
// were bounded by bytes). Each long task is matched with the postMessage calls inside it.
import { firstValueFrom } from 'rxjs'
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import { encodeBatch, estimateEventBytes } from '@tidings/core/bridge'
import { connectWorker, type WorkerBridge } from '../src/index.ts'
import type { BenchTable } from '../../../bench/types.ts'
import { yieldTask } from '../../../bench/yield-task.ts'

/** Rounds per payload. A round takes ~0.03-0.35 s a side; at 7 rounds the median ratio at 10 KB
 *  moved 0.75-1.10x between consecutive runs of the same code at load 5-6, and at 15 the 1 MB
 *  rows still moved 0.72-1.04x (one 1 MB run is 30 events: one garbage collection is a third of it). */
const ROUNDS = 21
/** 10 KB and 1 MB-string rounds are short (~60 and ~30 ms a side) and the target sits inside
 *  their spread: at 21 rounds the 10 KB median ratio moved 0.87-1.06x over three full `npm run
 *  bench` runs (one run's rounds spanned 0.55-1.26x), the 1 MB string's 0.85-0.96x over three
 *  runs. 61 rounds cost ~12 s more for both and narrow the median's wobble by ~1.7x. */
const ROUNDS_SHORT = 61
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const f = (x: number) => x.toFixed(2)
const row = (n: number, size: number) => ({ a: n, b: 'x'.repeat(size) })

interface Payload {
  name: string
  events: number
  make: () => unknown
  rounds?: number
}

const PAYLOADS: Payload[] = [
  { name: '100 B object', events: 20_000, make: () => ({ id: 7, name: 'x'.repeat(70) }) },
  { name: '10 KB of objects', events: 2_000, make: () => Array.from({ length: 100 }, (_, i) => row(i, 80)), rounds: ROUNDS_SHORT },
  { name: '1 MB of objects', events: 30, make: () => Array.from({ length: 10_000 }, (_, i) => row(i, 80)) },
  { name: '1 MB string', events: 30, make: () => 'y'.repeat(1 << 20), rounds: ROUNDS_SHORT },
]

interface Count {
  count: number
  ordered: boolean
  /** The worker's time (ms) deserializing messages (first read of event.data), in the bridge's
   *  listener after that, and in the plain counter's (bench-payload-worker.ts). */
  readMs?: number
  bridgeMs?: number
  plainMs?: number
}

/** Profile rounds (10 KB): where the time of a run goes, on each side, by the clock. */
const PROFILE_ROUNDS = 7

// Every event gets its own payload object: structured clone writes an object met twice in one
// message once, which would flatter a batching sender.
async function tidingsRun(bus: Bus, bodies: readonly unknown[], n: number): Promise<{ ms: number; res: Count }> {
  const done = firstValueFrom(bus.on('p.count'))
  const t0 = performance.now()
  for (let i = 0; i < n; i++) bus.publish('p.ev', { i, body: bodies[i % bodies.length] })
  bus.publish('p.done')
  const res = (await done).data as Count
  return { ms: performance.now() - t0, res }
}

/** The worker's next `plainCount` report: how many plain posts it counted, and whether in order. */
function plainCountOf(worker: Worker): Promise<Count> {
  return new Promise<Count>((resolve) => {
    const on = (e: MessageEvent) => {
      const c = (e.data as { plainCount?: Count }).plainCount
      if (c === undefined) return
      worker.removeEventListener('message', on)
      resolve(c)
    }
    worker.addEventListener('message', on)
  })
}

async function plainRun(worker: Worker, bodies: readonly unknown[], n: number): Promise<{ ms: number; res: Count }> {
  const done = plainCountOf(worker)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) worker.postMessage({ plain: true, i, body: bodies[i % bodies.length] }, [])
  worker.postMessage({ plainDone: true }, [])
  const res = await done
  return { ms: performance.now() - t0, res }
}

async function start(maxBatchBytes?: number): Promise<{ bus: Bus; worker: Worker; bridge: WorkerBridge }> {
  const bus = createBus()
  const worker = new Worker(new URL('./bench-payload-worker.ts', import.meta.url), { type: 'module' })
  const bridge = connectWorker(bus, worker, maxBatchBytes === undefined ? { share: 'p.**' } : { share: 'p.**', maxBatchBytes })
  await bridge.ready
  return { bus, worker, bridge }
}

/** A short idle between timed runs (a timer, so the page's and the worker's queues drain). */
const settle = () => new Promise((r) => setTimeout(r, 30))

/** The longest task (ms) while a burst of `count` x `body` goes out and the worker confirms. */
interface Burst {
  longest: number
  longTasks: number
  /** Long tasks that held exactly one postMessage, and the share of all long tasks' time spent inside postMessage. */
  onePost: number
  postShare: number
  publishMs: number
  totalMs: number
  res: Count
  batches: number
  postMedian: number
}

/** Long tasks (PerformanceObserver 'longtask') while `fn` runs, with the postMessage calls timed
 *  inside each (`posts`: start and duration of every call, filled by the caller's wrapper). */
async function longTasksOf(posts: { at: number; ms: number }[], fn: () => Promise<void>): Promise<{ longest: number; longTasks: number; onePost: number; postShare: number }> {
  const tasks: { at: number; ms: number }[] = []
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) tasks.push({ at: e.startTime, ms: e.duration })
  })
  obs.observe({ type: 'longtask', buffered: false })
  await yieldTask()
  await fn()
  await new Promise((r) => setTimeout(r, 100)) // let the observer deliver the last entries
  obs.disconnect()
  let onePost = 0
  let inPost = 0
  let total = 0
  for (const t of tasks) {
    const inside = posts.filter((p) => p.at >= t.at && p.at < t.at + t.ms)
    if (inside.length === 1) onePost++
    inPost += inside.reduce((a, p) => a + p.ms, 0)
    total += t.ms
  }
  return { longest: tasks.length ? Math.max(...tasks.map((t) => t.ms)) : 0, longTasks: tasks.length, onePost, postShare: total > 0 ? Math.min(1, inPost / total) : 0 }
}

function timePosts(worker: Worker): { at: number; ms: number }[] {
  const posts: { at: number; ms: number }[] = []
  const post = worker.postMessage.bind(worker) as (m: unknown, t: Transferable[]) => void
  ;(worker as unknown as { postMessage: (m: unknown, t: Transferable[]) => void }).postMessage = (m, t) => {
    const t0 = performance.now()
    post(m, t)
    posts.push({ at: t0, ms: performance.now() - t0 })
  }
  return posts
}

/** The floor any sender meets: plain postMessage of each event alone, each in its own task. */
async function plainSpread(bodies: readonly unknown[], count: number): Promise<Omit<Burst, 'batches' | 'publishMs'>> {
  const { bridge, worker } = await start()
  const posts = timePosts(worker)
  let res: Count = { count: 0, ordered: false }
  const t0 = performance.now()
  const lt = await longTasksOf(posts, async () => {
    const done = plainCountOf(worker)
    for (let i = 0; i < count; i++) {
      worker.postMessage({ plain: true, i, body: bodies[i] }, [])
      await yieldTask()
    }
    worker.postMessage({ plainDone: true }, [])
    res = await done
  })
  const totalMs = performance.now() - t0
  bridge.close()
  worker.terminate()
  const eventPosts = posts.filter((x) => x.ms > 0.5).map((x) => x.ms)
  return { ...lt, totalMs, res, postMedian: eventPosts.length ? median(eventPosts) : 0 }
}

async function burst(maxBatchBytes: number | undefined, bodies: readonly unknown[], count: number): Promise<Burst> {
  const { bus, worker, bridge } = await start(maxBatchBytes)
  await tidingsRun(bus, ['warm'], 10)
  const posts = timePosts(worker)
  const b0 = bridge.stats().batches
  let publishMs = 0
  let res: Count = { count: 0, ordered: false }
  const t0 = performance.now()
  const lt = await longTasksOf(posts, async () => {
    const done = firstValueFrom(bus.on('p.count'))
    for (let i = 0; i < count; i++) bus.publish('p.ev', { i, body: bodies[i] })
    publishMs = performance.now() - t0
    bus.publish('p.done')
    res = (await done).data as Count
  })
  const totalMs = performance.now() - t0
  const batches = bridge.stats().batches - b0
  bridge.close()
  worker.terminate()
  const eventPosts = posts.filter((x) => x.ms > 0.5).map((x) => x.ms)
  return { ...lt, publishMs, totalMs, res, batches, postMedian: eventPosts.length ? median(eventPosts) : 0 }
}

/** Fresh payloads for each burst: the first clone of a string made by 'x'.repeat() flattens it
 *  (an allocation per string), so a burst that reused another's payloads would pay less. */
async function fresh(): Promise<unknown[]> {
  const mb = Array.from({ length: 50 }, PAYLOADS[2]!.make)
  await new Promise((r) => setTimeout(r, 300)) // idle: the garbage of the last burst goes first
  return mb
}

function longestCell(b: Omit<Burst, 'batches' | 'publishMs'>): string {
  return b.longTasks === 0 ? '< 50 ms (no long task)' : `${b.longest.toFixed(0)} ms (${b.longTasks} long tasks, ${b.onePost} of them one postMessage, ${(b.postShare * 100).toFixed(0)}% of their time inside postMessage)`
}

interface Profile {
  /** µs per event: the publish loop (Tidings), inside worker.postMessage, the worker's
   *  deserializing and its listener's own work, and the whole run until the worker confirmed. */
  publish: number
  post: number
  read: number
  handle: number
  wall: number
}

/** One instrumented run: worker.postMessage wrapped with a timer (both sides pay the wrapper). */
async function profiled(kind: 'tidings' | 'plain', bus: Bus, worker: Worker, bodies: readonly unknown[], n: number): Promise<Profile> {
  let postMs = 0
  const post = worker.postMessage
  ;(worker as unknown as { postMessage: (m: unknown, t: Transferable[]) => void }).postMessage = (m, t) => {
    const t0 = performance.now()
    ;(post as (m: unknown, t: Transferable[]) => void).call(worker, m, t)
    postMs += performance.now() - t0
  }
  try {
    let publishMs = 0
    let timed: { ms: number; res: Count }
    if (kind === 'tidings') {
      const done = firstValueFrom(bus.on('p.count'))
      const t0 = performance.now()
      for (let i = 0; i < n; i++) bus.publish('p.ev', { i, body: bodies[i % bodies.length] })
      publishMs = performance.now() - t0
      bus.publish('p.done')
      const res = (await done).data as Count
      timed = { ms: performance.now() - t0, res }
    } else timed = await plainRun(worker, bodies, n)
    const us = (ms: number) => (ms * 1000) / n
    const res = timed.res
    return { publish: us(publishMs), post: us(postMs), read: us(res.readMs ?? 0), handle: us((kind === 'tidings' ? res.bridgeMs : res.plainMs) ?? 0), wall: us(timed.ms) }
  } finally {
    delete (worker as unknown as { postMessage?: unknown }).postMessage
  }
}

/** Tidings' own sending work besides publish, measured apart: the byte estimate of every event
 *  and the columnar encoding, in batches of ~1 MiB, µs per event. */
function estimateAndEncode(bodies: readonly unknown[], n: number): number {
  const events: TidingsEvent[] = Array.from({ length: n }, (_, i) => ({ id: `page:${i}`, type: 'p.ev', timestamp: Date.now(), version: 1, data: { i, body: bodies[i % bodies.length] }, origin: 'page', seq: i }))
  const t0 = performance.now()
  let batch: { event: TidingsEvent; incarnation: string; prev: number }[] = []
  let bytes = 0
  let cols = 0
  for (const event of events) {
    bytes += estimateEventBytes(event)
    batch.push({ event, incarnation: 'x', prev: event.seq - 1 })
    if (bytes >= 1 << 20) {
      cols += encodeBatch(batch).n
      batch = []
      bytes = 0
    }
  }
  if (batch.length) cols += encodeBatch(batch).n
  const us = ((performance.now() - t0) * 1000) / n
  if (cols !== n) throw new Error(`encoded ${cols} of ${n}`)
  return us
}

export default async function run(): Promise<BenchTable> {
  const notes: string[] = []
  let ok = true
  const rows: (string | number)[][] = []
  const { bus, worker, bridge } = await start()
  for (const p of PAYLOADS) {
    const body = Array.from({ length: p.events }, p.make)
    // Warm-up of both paths over every payload: the first clone of a string made by
    // 'x'.repeat() flattens it, so a round that met unflattened payloads would charge that to
    // whichever side went first (Tidings, in round 0).
    await plainRun(worker, body, p.events)
    await tidingsRun(bus, body, Math.min(p.events, 200))
    await plainRun(worker, body, Math.min(p.events, 200))
    const t: number[] = []
    const pl: number[] = []
    const ratios: number[] = []
    for (let r = 0; r < (p.rounds ?? ROUNDS); r++) {
      // Alternate which goes first, so a burst of outside load hits both.
      // Each timed run starts from a settled page and worker: what the run before left (its
      // garbage, the worker's tail) is not charged to the next one.
      const first = r % 2 === 0 ? 'tidings' : 'plain'
      await settle()
      const a = first === 'tidings' ? await tidingsRun(bus, body, p.events) : await plainRun(worker, body, p.events)
      await settle()
      const b = first === 'tidings' ? await plainRun(worker, body, p.events) : await tidingsRun(bus, body, p.events)
      const [tr, pr] = first === 'tidings' ? [a, b] : [b, a]
      for (const [who, x] of [['tidings', tr], ['plain', pr]] as const)
        if (x.res.count !== p.events || !x.res.ordered) {
          ok = false
          notes.push(`${p.name} round ${r} ${who}: worker counted ${x.res.count}/${p.events}, ordered=${x.res.ordered}`)
        }
      const tRate = (p.events / tr.ms) * 1000
      const pRate = (p.events / pr.ms) * 1000
      t.push(tRate)
      pl.push(pRate)
      ratios.push(tRate / pRate)
      await yieldTask()
    }
    const ratio = median(ratios)
    rows.push([p.name, fmt(median(t)), fmt(median(pl)), `${ratio.toFixed(2)}x`, `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}x`])
    if (p.name !== '100 B object' && ratio < 0.9) notes.push(`${p.name}: target Tidings >= 0.9x plain postMessage NOT met (${ratio.toFixed(2)}x).`)
    if (p.name === '10 KB of objects') {
      const prof = { tidings: [] as Profile[], plain: [] as Profile[] }
      const enc: number[] = []
      for (let r = 0; r < PROFILE_ROUNDS; r++) {
        for (const kind of r % 2 === 0 ? (['tidings', 'plain'] as const) : (['plain', 'tidings'] as const)) {
          await settle()
          prof[kind].push(await profiled(kind, bus, worker, body, p.events))
        }
        enc.push(estimateAndEncode(body, p.events))
      }
      const med = (kind: 'tidings' | 'plain', k: keyof Profile) => median(prof[kind].map((x) => x[k]))
      const own = med('tidings', 'publish') + median(enc) + med('tidings', 'handle')
      rows.push([
        '10 KB: where the time goes, µs per event, Tidings | plain (medians of profile rounds)',
        `page: publish loop ${f(med('tidings', 'publish'))}; estimate + encode ${f(median(enc))} (measured apart); inside postMessage ${f(med('tidings', 'post'))}`,
        `page: inside postMessage ${f(med('plain', 'post'))}`,
        '',
        `worker: deserializing ${f(med('tidings', 'read'))} | ${f(med('plain', 'read'))}; the listener's own work after it ${f(med('tidings', 'handle'))} | ${f(med('plain', 'handle'))}; whole run ${f(med('tidings', 'wall'))} | ${f(med('plain', 'wall'))}`,
      ])
      notes.push(
        `10 KB profile (${PROFILE_ROUNDS} rounds, alternating, worker.postMessage wrapped with a timer on both sides): Tidings' own work per event is the publish loop, the byte estimate and the columnar encoding on the page, and decode, envelope check, dedupe and delivery in the worker: ${f(own)} µs of the ${f(med('tidings', 'wall'))} µs a run takes per event (${((own / med('tidings', 'wall')) * 100).toFixed(0)}%); structured clone, the part both sides pay, is ${f(med('tidings', 'post'))} | ${f(med('plain', 'post'))} µs serializing and ${f(med('tidings', 'read'))} | ${f(med('plain', 'read'))} µs deserializing. The worker's clock is coarsened to 100 µs (with jitter): its sums over 2,000 events are accurate to about 0.05 µs per event.`,
      )
    }
  }
  bridge.close()
  worker.terminate()

  const bounded = await burst(undefined, await fresh(), 50)
  const floor = await plainSpread(await fresh(), 50)
  const unbounded = await burst(Number.MAX_SAFE_INTEGER, await fresh(), 50)
  for (const [name, b] of [['bounded', bounded], ['plain, one per task', floor], ['unbounded', unbounded]] as const)
    if (b.res.count !== 50 || !b.res.ordered) {
      ok = false
      notes.push(`burst ${name}: worker counted ${b.res.count}/50, ordered=${b.res.ordered}`)
    }
  rows.push(['50 x 1 MB burst (objects): longest task, default maxBatchBytes (1 MiB)', longestCell(bounded), '', '', `${bounded.batches} batches, median postMessage ${bounded.postMedian.toFixed(0)} ms, all in ${fmt(bounded.totalMs)} ms`])
  rows.push(['the floor: plain postMessage, each 1 MB event alone in its own task', longestCell(floor), '', '', `50 messages, median postMessage ${floor.postMedian.toFixed(0)} ms, all in ${fmt(floor.totalMs)} ms`])
  rows.push(['the same with the byte bound lifted (one 50 MB message)', longestCell(unbounded), '', '', `${unbounded.batches} batch, postMessage ${unbounded.postMedian.toFixed(0)} ms, all in ${fmt(unbounded.totalMs)} ms`])
  notes.push(
    `Target: the 50 x 1 MB burst never blocks the page for more than 50 ms per task: ${bounded.longest <= 50 ? 'met' : 'NOT met'} (${bounded.longTasks === 0 ? 'no task over 50 ms' : `longest ${bounded.longest.toFixed(0)} ms`}; publish loop ${bounded.publishMs.toFixed(1)} ms). A task cannot be shorter than one event's postMessage (the structured clone of 10,000 small objects, plus any garbage collection that lands in it): the floor row posts each event alone in its own task, the best any sender can do, in the same page. Each burst has payloads of its own, made just before it (their strings, built by 'x'.repeat(), are flattened by their first clone).`,
    `Rates are events/s until the worker confirms it counted every event in order; median of ${ROUNDS} rounds (${ROUNDS_SHORT} for 10 KB and the 1 MB string), Tidings and plain postMessage alternating within each round; the ratio column is the median of the per-round ratios, then its range. Plain postMessage posts each event's payload as its own message ({ plain, i, body }); Tidings publishes { i, body } on a bus bridged by connectWorker. Wall clock: a page has no CPU clock, so the machine's load shows in both columns alike.`,
    `Chromium headless, ${navigator.hardwareConcurrency} cores.`,
  )
  return {
    title: '@tidings/worker: page -> worker by payload size, against plain postMessage',
    columns: ['payload', 'Tidings events/s', 'plain postMessage events/s', 'Tidings / plain', 'range / detail'],
    rows,
    notes,
    ok,
  }
}
