// A deliberately slow consumer behind a bounded queue: at most QUEUE_MAX ticks wait, and when a
// burst overflows it the OLDEST waiting tick is dropped (the newest data is what a UI wants).
// Every drop is counted by the bus: sub.stats().dropped, bus.stats().dropped, and a 'drop'
// inspection event the DevTools panel shows.
import type { SubscriptionStats } from '@tidings/core'
import { bus } from '../bus.ts'

export const QUEUE_MAX = 50
export const WORK_MS = 5

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

let lastHandled = -1

async function slowHandler(event: { data: { n: number } }): Promise<void> {
  await sleep(WORK_MS) // pretend to render a chart, hit an API...
  lastHandled = event.data.n
}

const sub = bus.subscribe('load.tick', slowHandler, {
  label: 'slow-consumer', // how the DevTools panel and bus.subscriptions() name it
  queue: { max: QUEUE_MAX, strategy: 'drop-oldest' },
  concurrency: 1, // one tick at a time, like a consumer that renders
})

export const slowConsumer: { stats(): SubscriptionStats; lastHandled(): number } = {
  stats: () => sub.stats(),
  lastHandled: () => lastHandled,
}

let burstCount = 0
export const publishedTicks = () => burstCount

/** Publishes `n` ticks at once, far faster than the consumer drains them. */
export function burst(n: number): { published: number; dropped: number } {
  let dropped = 0
  const start = burstCount
  for (let i = 0; i < n; i++) dropped += bus.publish('load.tick', { n: start + i }).dropped
  burstCount += n
  return { published: n, dropped }
}
