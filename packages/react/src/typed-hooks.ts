import type { Bus, EventFor, EventMapOf, Handler, Patterns, SubscribeOptions } from '@tidings/core'
import { useBus } from './context.js'
import { useEvent } from './use-event.js'
import { useLatest } from './use-latest.js'
import { usePublish } from './use-publish.js'

/** useBus, useEvent, useLatest and usePublish typed by one event map. */
export interface TypedHooks<M extends EventMapOf<M>> {
  useBus(): Bus<M>
  useEvent<P extends string>(
    pattern: Patterns<P>,
    handler: Handler<EventFor<M, P>, M>,
    options?: SubscribeOptions<EventFor<M, P>>,
  ): void
  useLatest<P extends string>(pattern: Patterns<P>): EventFor<M, P> | undefined
  usePublish(): Bus<M>['publish']
}

/**
 * The bus hooks typed by `M`, without registering it globally (`Register`): for libraries, and
 * for programs that hold more than one app. The same functions at run time.
 *
 * ```ts
 * export const { useEvent, useLatest, usePublish } = typedHooks<AppEvents>()
 * ```
 */
export function typedHooks<M extends EventMapOf<M>>(): TypedHooks<M> {
  return { useBus, useEvent, useLatest, usePublish } as unknown as TypedHooks<M>
}
