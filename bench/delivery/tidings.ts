// Tidings' queued subscriptions, its heap cost per queued event, and request/reply.
import { createBus, type Bus } from '@tidings/core'
import { collectGarbage, expectCount, measureRateAsync, noop, type RateResult } from '../harness.ts'
import { BURST } from './burst.ts'
import { firstCall, setupStep, withTimeout } from './not-available.ts'

interface Work {
  n: number
}

export interface HeapResult {
  bytesPerEvent: number
  events: number
  heapDeltaBytes: number
}

const DRAIN_TIMEOUT_MS = 60_000

/** Heap growth per event held in one subscription queue (payload shared, so it is the envelope + slot). */
export async function heapPerQueuedEvent(events: number): Promise<HeapResult> {
  const bus = createBus()
  let release: () => void = noop
  const gate = new Promise<void>((r) => (release = r))
  let handled = 0
  let drained: () => void = noop
  const allHandled = new Promise<void>((r) => (drained = r))
  const total = events + 1 // the first event is taken by the (blocked) handler; `events` stay queued
  const payload: Work = { n: 1 }
  collectGarbage()
  // Measured from before subscribing, so a queue that preallocates its slots is charged for them.
  const before = process.memoryUsage().heapUsed
  const sub = setupStep('subscribe with a queue', () =>
    bus.subscribe(
      'heap.item',
      async () => {
        await gate
        if (++handled === total) drained()
      },
      { queue: { max: total, strategy: 'reject' }, concurrency: 1 },
    ),
  )
  for (let i = 0; i < total; i++) bus.publish('heap.item', payload)
  collectGarbage()
  const after = process.memoryUsage().heapUsed
  const stats = sub.stats()
  if (stats.queued < events) throw new Error(`queue holds ${stats.queued} events, expected at least ${events}`)
  expectCount('dropped', stats.dropped, 0)
  expectCount('rejected', stats.rejected, 0)
  release()
  await withTimeout(allHandled, DRAIN_TIMEOUT_MS, `draining ${total} queued events`)
  expectCount('handled', handled, total)
  await bus.shutdown()
  return { bytesPerEvent: (after - before) / events, events, heapDeltaBytes: after - before }
}

/** Async handler behind a queue: publish `ops` events in bursts of `BURST`, each burst published at
 *  once and drained before the next; time until all are handled. */
export async function queuedThroughput(concurrency: number, ops: number): Promise<RateResult> {
  const bus = createBus()
  let handled = 0
  let sum = 0
  let target = 0
  let done: () => void = noop
  const sub = setupStep('subscribe with a queue', () =>
    bus.subscribe(
      'work.item',
      async (e) => {
        sum += (e.data as Work).n
        if (++handled === target) done()
      },
      { queue: { max: BURST, strategy: 'reject' }, concurrency },
    ),
  )
  const payload: Work = { n: 1 }
  const result = await measureRateAsync(async (n) => {
    handled = 0
    sum = 0
    for (let start = 0; start < n; start += BURST) {
      target = Math.min(n, start + BURST)
      const finished = new Promise<void>((r) => (done = r))
      for (let i = start; i < target; i++) bus.publish('work.item', payload)
      await withTimeout(finished, DRAIN_TIMEOUT_MS, `${target} queued events`)
    }
    expectCount('handled', handled, n)
    expectCount('payload sum', sum, n)
  }, ops)
  expectCount('dropped', sub.stats().dropped, 0)
  await bus.shutdown()
  return result
}

async function lanes(ops: number, inFlight: number, call: (i: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      for (let i = lane; i < ops; i += inFlight) await call(i)
    }),
  )
}

/** request/reply round trips with `inFlight` requests outstanding (each with the default 5 s
 *  timeout); checks every reply, that each run published and answered exactly `n` requests with
 *  no failure, and that no reply route outlives its request. */
export async function requestReply(inFlight: number, ops: number): Promise<RateResult> {
  const bus: Bus = createBus()
  const responder = setupStep('reply()', () => bus.reply('rpc.double', (e) => (e.data as Work).n * 2))
  await firstCall('request()', () => bus.request('rpc.double', { n: 1 }))
  const routes = bus.subscriptions().length
  const result = await measureRateAsync(async (n) => {
    const published = bus.stats().published
    const handled = responder.stats().handled
    await lanes(n, inFlight, async (i) => {
      const r = await bus.request<number>('rpc.double', { n: i })
      if (r !== i * 2) throw new Error(`request ${i} got ${String(r)}, expected ${i * 2}`)
    })
    expectCount('requests published', bus.stats().published - published, n)
    expectCount('requests answered', responder.stats().handled - handled, n)
  }, ops)
  expectCount('handler errors', bus.stats().errors, 0)
  expectCount('subscriptions after all requests', bus.subscriptions().length, routes)
  await bus.shutdown()
  return result
}
