import { useMemo } from 'react'
import type { Bus, EventMapOf } from '@tidings/core'
import { requireBus, type RegisteredEvents } from './context.js'

/**
 * The bus's `publish`, bound, with the same identity on every render (until the provider's bus
 * changes): safe in dependency arrays and as a prop of memoized children.
 *
 * ```tsx
 * const publish = usePublish()
 * return <button onClick={() => publish('task.created', { id, title })}>Add</button>
 * ```
 */
export function usePublish<M extends EventMapOf<M> = RegisteredEvents>(): Bus<M>['publish'] {
  const bus = requireBus<M>('usePublish()')
  return useMemo(() => bus.publish.bind(bus) as Bus<M>['publish'], [bus])
}
