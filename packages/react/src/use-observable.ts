import { useMemo, useSyncExternalStore } from 'react'
import type { Observable, Subscribable } from 'rxjs'

/**
 * The latest value of an RxJS stream (anything with `subscribe(observer)`: an Observable,
 * `bus.on(pattern)`, a Subject, `sharedState.value$`, `tabs.peers$`), `initial` until it emits
 * and on the server (its type may differ: `useObservable(bus.on('x'), undefined)` is the event or
 * undefined). An error the stream ends with is thrown from the render (error boundaries
 * catch it); after completion the last value stays.
 *
 * Pass a stable stream (module scope, a prop, or `useMemo`): a new one each render starts over
 * from `initial`.
 *
 * ```tsx
 * const tick = useObservable(useMemo(() => bus.on('clock.tick'), [bus]), undefined)
 * ```
 */
export function useObservable<T, I = T>(source: Observable<T> | Subscribable<T>, initial: I): T | I {
  // `initial` is read when the stream changes, like useState's.
  const store = useMemo(() => observableStore(source, initial), [source])
  return useSyncExternalStore(store.subscribe, store.get, store.initial)
}

interface ObservableStore<T> {
  subscribe(onChange: () => void): () => void
  get(): T
  initial(): T
}

function observableStore<T, I>(source: Subscribable<T>, initial: I): ObservableStore<T | I> {
  let value: T | I = initial
  let failed: { error: unknown } | undefined
  return {
    subscribe(onChange) {
      const sub = source.subscribe({
        next(v) {
          value = v
          onChange()
        },
        error(error: unknown) {
          failed = { error }
          onChange()
        },
      })
      return () => sub.unsubscribe()
    },
    get() {
      if (failed) throw failed.error
      return value
    },
    initial: () => initial,
  }
}
