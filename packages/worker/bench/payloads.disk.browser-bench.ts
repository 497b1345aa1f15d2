// page -> worker by payload size: Tidings (bus.publish over connectWorker) against plain
// postMessage (one message per event, the same payload) in the same page, rounds alternating,
// each timed until the worker confirms it counted every event in order. Then a burst of 50 x 1 MB
// events: the longest main-thread task while it goes out (PerformanceObserver 'longtask'), with
// the default byte bound and with the bound lifted (one message for the whole burst, the
// behaviour before batches were bounded by bytes).
import { firstValueFrom } from 'rxjs'
import { createBus, type Bus } from '@tidings/core'
import { connectWorker, type WorkerBridge } from '../src/index.ts'
import type { BenchTable } from '../../../bench/types.ts'
import { yieldTask } from '../../../bench/yield-task.ts'

const ROUNDS = 7
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const row = (n: number, size: number) => ({ a: n, b: 'x'.repeat(size) })

interface Payload {
  name: string
  events: number
  make: () => unknown
}

const PAYLOADS: Payload[] = [
  { name: '100 B object', events: 20_000, make: () => ({ id: 7, name: 'x'.repeat(70) }) },
  { name: '10 KB of objects', events: 2_000, make: () => Array.from({ length: 100 }, (_, i) => row(i, 80)) },
  { name: '1 MB of objects', events: 30, make: () => Array.from({ length: 10_000 }, (_, i) => row(i, 80)) },
  { name: '1 MB string', events: 30, make: () => 'y'.repeat(1 << 20) },
]

interface Count {
  count: number
  ordered: boolean
}

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

async function plainRun(worker: Worker, bodies: readonly unknown[], n: number): Promise<{ ms: number; res: Count }> {
  const done = new Promise<Count>((resolve) => {
    const on = (e: MessageEvent) => {
      const c = (e.data as { plainCount?: Count }).plainCount
      if (c === undefined) return
      worker.removeEventListener('message', on)
      resolve(c)
    }
    worker.addEventListener('message', on)
  })
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

/** The longest task (ms) while a burst of `count` x `body` goes out and the worker confirms. */
async function burst(maxBatchBytes: number | undefined, bodies: readonly unknown[], count: number): Promise<{ longest: number; longTasks: number; publishMs: number; totalMs: number; res: Count; batches: number; postMedian: number }> {
  const { bus, worker, bridge } = await start(maxBatchBytes)
  await tidingsRun(bus, ['warm'], 10)
  const posts: number[] = []
  const post = worker.postMessage.bind(worker) as (m: unknown, t: Transferable[]) => void
  ;(worker as unknown as { postMessage: (m: unknown, t: Transferable[]) => void }).postMessage = (m, t) => {
    const t0 = performance.now()
    post(m, t)
    posts.push(performance.now() - t0)
  }
  const tasks: number[] = []
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) tasks.push(e.duration)
  })
  obs.observe({ type: 'longtask', buffered: false })
  await yieldTask()
  const b0 = bridge.stats().batches
  const t0 = performance.now()
  const done = firstValueFrom(bus.on('p.count'))
  for (let i = 0; i < count; i++) bus.publish('p.ev', { i, body: bodies[i] })
  const publishMs = performance.now() - t0
  bus.publish('p.done')
  const res = (await done).data as Count
  const totalMs = performance.now() - t0
  await new Promise((r) => setTimeout(r, 100)) // let the observer deliver the last entries
  obs.disconnect()
  const batches = bridge.stats().batches - b0
  bridge.close()
  worker.terminate()
  const eventPosts = posts.filter((x) => x > 0.5).sort((a, b) => a - b)
  return { longest: tasks.length ? Math.max(...tasks) : 0, longTasks: tasks.length, publishMs, totalMs, res, batches, postMedian: eventPosts.length ? median(eventPosts) : 0 }
}

export default async function run(): Promise<BenchTable> {
  const notes: string[] = []
  let ok = true
  const rows: (string | number)[][] = []
  const { bus, worker, bridge } = await start()
  for (const p of PAYLOADS) {
    const body = Array.from({ length: p.events }, p.make)
    // warm-up of both paths
    await tidingsRun(bus, body, Math.min(p.events, 200))
    await plainRun(worker, body, Math.min(p.events, 200))
    const t: number[] = []
    const pl: number[] = []
    const ratios: number[] = []
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so a burst of outside load hits both.
      const first = r % 2 === 0 ? 'tidings' : 'plain'
      const a = first === 'tidings' ? await tidingsRun(bus, body, p.events) : await plainRun(worker, body, p.events)
      await yieldTask()
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
  }
  bridge.close()
  worker.terminate()

  const mb = Array.from({ length: 50 }, PAYLOADS[2]!.make)
  const bounded = await burst(undefined, mb, 50)
  const unbounded = await burst(Number.MAX_SAFE_INTEGER, mb, 50)
  for (const [name, b] of [['bounded', bounded], ['unbounded', unbounded]] as const)
    if (b.res.count !== 50 || !b.res.ordered) {
      ok = false
      notes.push(`burst ${name}: worker counted ${b.res.count}/50, ordered=${b.res.ordered}`)
    }
  const lt = (b: typeof bounded) => (b.longTasks === 0 ? '< 50 ms (no long task)' : `${b.longest.toFixed(0)} ms (${b.longTasks} long tasks)`)
  rows.push(['50 x 1 MB burst (objects): longest task, default maxBatchBytes (1 MiB)', lt(bounded), '', '', `${bounded.batches} batches, median postMessage ${bounded.postMedian.toFixed(0)} ms, all in ${fmt(bounded.totalMs)} ms`])
  rows.push(['the same with the byte bound lifted (one 50 MB message)', lt(unbounded), '', '', `${unbounded.batches} batch, postMessage ${unbounded.postMedian.toFixed(0)} ms, all in ${fmt(unbounded.totalMs)} ms`])
  notes.push(
    `Target: the 50 x 1 MB burst never blocks the page for more than 50 ms per task: ${bounded.longest <= 50 ? 'met' : 'NOT met'} (longest ${bounded.longest.toFixed(0)} ms; publish loop ${bounded.publishMs.toFixed(1)} ms). Each task posts one 1 MB event here (the structured clone of 10,000 small objects): a task cannot be shorter than one event's clone, and on a loaded machine (wall clock, descheduled threads) single clones stretch.`,
    `Rates are events/s until the worker confirms it counted every event in order; median of ${ROUNDS} rounds, Tidings and plain postMessage alternating within each round; the ratio column is the median of the per-round ratios, then its range. Plain postMessage posts each event's payload as its own message ({ plain, i, body }); Tidings publishes { i, body } on a bus bridged by connectWorker. Wall clock: a page has no CPU clock, so the machine's load shows in both columns alike.`,
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
