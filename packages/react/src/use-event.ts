import type { EventFor, EventMapOf, Handler, Patterns, SubscribeOptions, TidingsEvent } from '@tidings/core'
import { requireBus, type RegisteredEvents } from './context.js'
import { useBusSubscription } from './subscription.js'

/**
 * Calls `handler` for every event matching `pattern` while the component is mounted.
 *
 * - `handler` may be an inline arrow: the latest one is called, without re-subscribing.
 * - `options` are `bus.subscribe`'s (queue, filter, priority, retry, once, signal, ...); the
 *   subscription is replaced only when the pattern(s) or the options change by value (an inline
 *   `filter` is read like the handler, so a new arrow each render does not re-subscribe).
 * - It subscribes during the first render (see subscription.ts), so events that children publish
 *   while they render or in their layout effects reach it.
 *
 * ```tsx
 * useEvent('task.*', (e) => setLast(e.data.title), { priority: 1 })
 * ```
 */
export function useEvent<P extends string, M extends EventMapOf<M> = RegisteredEvents>(
  pattern: Patterns<P>,
  handler: Handler<EventFor<M, P>, M>,
  options?: SubscribeOptions<EventFor<M, P>>,
): void {
  const bus = requireBus('useEvent()')
  useBusSubscription(bus, pattern, handler as unknown as Handler<TidingsEvent>, options as SubscribeOptions | undefined)
}
