// TEMPORARY: used only while @tidings/core's queued subscriptions (issue 3) are not in the build:
// a sync subscription feeding a local bounded drop-oldest queue drained one event at a time, with
// the same stats() shape. Delete this file once `bus.subscribe(p, h, { queue })` works.
import type { SubscriptionStats, TidingsEvent } from '@tidings/core'
import { bus } from '../bus.ts'

export function fallbackQueued(
  pattern: string,
  handler: (e: TidingsEvent<{ n: number }>) => Promise<void>,
  max: number,
): { stats(): SubscriptionStats } {
  const queue: Array<TidingsEvent<{ n: number }>> = []
  const s: SubscriptionStats = { received: 0, handled: 0, dropped: 0, rejected: 0, errors: 0, queued: 0, maxQueued: 0 }
  let draining = false
  const drain = async () => {
    draining = true
    for (let e = queue.shift(); e; e = queue.shift()) {
      s.queued = queue.length
      await handler(e).then(() => s.handled++, () => s.errors++)
    }
    s.queued = 0
    draining = false
  }
  bus.subscribe(pattern, (e) => {
    s.received++
    queue.push(e as TidingsEvent<{ n: number }>)
    if (queue.length > max) {
      queue.shift()
      s.dropped++
    }
    s.queued = queue.length
    s.maxQueued = Math.max(s.maxQueued, queue.length)
    if (!draining) void drain()
  })
  return { stats: () => ({ ...s }) }
}
