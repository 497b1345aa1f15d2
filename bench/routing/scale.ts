// Registration scale and heap per subscription: how subscribing grows with the number of handlers
// on one topic, with the number of wildcard patterns, and what each subscription keeps on the heap.
// Every measurement checks that what was registered is delivered to.
import { clock, collectGarbage, expectCount, median } from '../harness.ts'
import type { BenchLibrary } from './emitter.ts'
import { wildcardPattern } from './workload.ts'

export const HANDLER_COUNTS = [1000, 10_000, 100_000] as const
export const WILDCARD_PATTERNS = 100_000
export const HEAP_SUBSCRIPTIONS = 100_000

/** CPU ms to register `n` handlers on one topic (median over fresh emitters), then one publish
 *  must reach every one of them exactly once. */
export function registerOnOneTopic(lib: BenchLibrary, n: number): number {
  let count = 0
  const handlers = Array.from({ length: n }, () => () => void count++)
  const reps = n >= 100_000 ? 3 : n >= 10_000 ? 9 : 41
  const times: number[] = []
  for (let r = 0; r < reps; r++) {
    const em = lib.create()
    collectGarbage()
    const t0 = clock.now()
    for (let i = 0; i < n; i++) em.on('bench.scale', handlers[i]!)
    times.push(clock.now() - t0)
    count = 0
    em.publish('bench.scale', 1)
    expectCount(`${lib.label}: deliveries to ${n} handlers on one topic`, count, n)
  }
  return median(times)
}

/** CPU ms to register `n` wildcard patterns (`sK.b.c`, `sK.*.c`, `sK.**`); then a publish to
 *  one topic per shape must reach exactly its pattern. */
export function registerPatterns(lib: BenchLibrary, n: number): number | null {
  const em = lib.create()
  const onPattern = em.onPattern
  if (!onPattern) return null
  const patterns = Array.from({ length: n }, (_, k) => wildcardPattern(k))
  const counts = new Int32Array(n)
  const handlers = patterns.map((_, k) => () => void (counts[k] = counts[k]! + 1))
  collectGarbage()
  const t0 = clock.now()
  for (let k = 0; k < n; k++) onPattern(patterns[k]!, handlers[k]!)
  const ms = clock.now() - t0
  const last = n - 1 - ((n - 1) % 3)
  em.publish(`s${last}.b.c`, 1)
  em.publish(`s${last + 1 - 3}.x.c`, 1)
  em.publish(`s${last + 2 - 3}.x.y.z`, 1)
  expectCount(`${lib.label}: deliveries to ${patterns[last]}`, counts[last]!, 1)
  expectCount(`${lib.label}: deliveries to ${patterns[last - 2]}`, counts[last - 2]!, 1)
  expectCount(`${lib.label}: deliveries to ${patterns[last - 1]}`, counts[last - 1]!, 1)
  expectCount(`${lib.label}: total deliveries`, counts.reduce((a, b) => a + b, 0), 3)
  return ms
}

/** Heap bytes per subscription (node --expose-gc): `n` handlers on one topic, or one handler on
 *  each of `n` distinct topics. Topic strings and handler functions exist before the baseline, so
 *  the figure is what the library keeps per subscription. */
export function heapPerSubscription(lib: BenchLibrary, n: number, distinct: boolean): number {
  let count = 0
  const handlers = Array.from({ length: n }, () => () => void count++)
  const topics = Array.from({ length: distinct ? n : 1 }, (_, i) => `bench.heap${i}.x`)
  const em = lib.create()
  em.publish('bench.warm', 1)
  collectGarbage()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < n; i++) em.on(topics[distinct ? i : 0]!, handlers[i]!)
  collectGarbage()
  const after = process.memoryUsage().heapUsed
  count = 0
  if (distinct) for (const t of topics) em.publish(t, 1)
  else em.publish(topics[0]!, 1)
  expectCount(`${lib.label}: deliveries to ${n} subscriptions`, count, n)
  return (after - before) / n
}
