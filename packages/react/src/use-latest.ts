import { useMemo, useSyncExternalStore } from 'react'
import type { EventFor, EventMapOf, Patterns, TidingsEvent } from '@tidings/core'
import { requireBus, type RegisteredEvents } from './context.js'
import { useBusSubscription } from './subscription.js'

/**
 * The last event matching `pattern` since the component mounted (or since the pattern last
 * changed), `undefined` before the first one and on the server. Read through
 * `useSyncExternalStore`, so one render never shows two different values (no tearing).
 *
 * ```tsx
 * const last = useLatest('job.progress')
 * return <progress value={last?.data.done ?? 0} max={last?.data.total ?? 1} />
 * ```
 */
export function useLatest<P extends string, M extends EventMapOf<M> = RegisteredEvents>(
  pattern: Patterns<P>,
): EventFor<M, P> | undefined {
  const bus = requireBus('useLatest()')
  const key = typeof pattern === 'string' ? pattern : JSON.stringify(pattern)
  // One store per bus and pattern: a new pattern starts from undefined.
  const store = useMemo(() => latestStore(), [bus, key])
  useBusSubscription(bus, pattern, store.set, undefined)
  return useSyncExternalStore(store.subscribe, store.get, getUndefined) as EventFor<M, P> | undefined
}

function getUndefined(): undefined {
  return undefined
}

interface LatestStore {
  set(event: TidingsEvent): void
  subscribe(onChange: () => void): () => void
  get(): TidingsEvent | undefined
}

function latestStore(): LatestStore {
  let last: TidingsEvent | undefined
  const listeners = new Set<() => void>()
  return {
    set(event) {
      last = event
      for (const l of listeners) l()
    },
    subscribe(onChange) {
      listeners.add(onChange)
      return () => listeners.delete(onChange)
    },
    get: () => last,
  }
}
