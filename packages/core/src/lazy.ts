// lazy(): a handler whose code is imported on the first event that needs it (docs/delivery.md
// "Lazy handlers"), so a heavy module is split out of the app's first load. Until the import
// settles, events wait: in the subscription's queue (within its max and strategy) for a queued
// subscription, or as pending calls for a plain one; either way they run in order. When the import
// fails, every event that waited for it fails with a LazyLoadError (reported like any handler
// failure: errors$, '$tidings.error', dispatch results) and the next event tries again.
import type { TidingsEvent } from './envelope.js'
import { LazyLoadError, toError } from './errors.js'
import type { BaseSubscription } from './subscription.js'
import type { EventMap, EventMapOf, Handler, HandlerContext } from './types.js'

export interface LazyOptions<K extends string = 'default'> {
  /** The module's export that is the handler. Default 'default'. */
  export?: K
}

/**
 * A handler loaded on first use: `bus.subscribe('report.**', lazy(() => import('./reports.js')),
 * { queue: { max: 100, strategy: 'drop-oldest' } })`. `load` is called on the first matching
 * event (and again after a failed load); its module's `export` (default `default`) must be a
 * function `(event, ctx) => unknown`, else the load counts as failed (LazyLoadError).
 */
export function lazy<E = TidingsEvent, M extends EventMapOf<M> = EventMap, K extends string = 'default'>(
  load: () => Promise<{ [P in NoInfer<K>]: Handler<E, M> }>,
  opts: LazyOptions<K> = {},
): Handler<E, M> {
  const name = opts.export ?? 'default'
  let handler: Handler<E, M> | undefined
  let loading: Promise<Handler<E, M>> | undefined
  /** Subscriptions with events waiting for the current load (in their queues or in flight). */
  const waiting = new Set<BaseSubscription>()
  /** Events that were queued while a load failed: they fail with its error, without a new load. */
  const failed = new WeakMap<object, LazyLoadError>()

  const start = (): Promise<Handler<E, M>> =>
    Promise.resolve()
      .then(load)
      .then(
        (mod) => {
          const fn = (mod as Record<string, unknown> | null | undefined)?.[name]
          if (typeof fn !== 'function') throw new LazyLoadError(name, `the module has no function export "${name}"`)
          waiting.clear()
          return (handler = fn as Handler<E, M>)
        },
        (err: unknown) => {
          throw new LazyLoadError(name, `the import failed (${toError(err).message})`, err)
        },
      )
      .catch((err: LazyLoadError) => {
        loading = undefined
        for (const sub of waiting) for (const e of sub.queue?.snapshot() ?? []) failed.set(e, err)
        waiting.clear()
        throw err
      })

  return (event: E, ctx: HandlerContext<M>) => {
    if (handler !== undefined) return handler(event, ctx)
    const err = failed.get(event as object)
    if (err !== undefined) {
      failed.delete(event as object)
      throw err
    }
    waiting.add(ctx.subscription as unknown as BaseSubscription)
    return (loading ??= start()).then((fn) => fn(event, ctx))
  }
}
