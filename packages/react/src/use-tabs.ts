// Hooks for @tidings/tabs' sharedState and electLeader. They take the shape of those objects
// (SharedStateLike, LeaderLike), not their classes, so this package imports nothing from
// @tidings/tabs and apps without it need not install it.
import { useMemo, useSyncExternalStore } from 'react'
import type { Subscribable } from 'rxjs'

/** What useSharedState needs of a `SharedState<T>` from `sharedState()` of @tidings/tabs. */
export interface SharedStateLike<T> {
  readonly value$: Subscribable<T>
  get(): T
  set(next: T | ((current: T) => T)): T
}

/** What useLeader needs of a `LeaderElection` from `electLeader()` of @tidings/tabs. */
export interface LeaderLike {
  readonly isLeader$: Subscribable<boolean>
  readonly isLeader: boolean
}

/** Sets the shared value in every tab; a function gets the current value. Returns the new value. */
export type SetSharedState<T> = (next: T | ((current: T) => T)) => T

/**
 * `[value, set]` of a shared state: re-renders when the value changes in this tab or in any other.
 * `set` keeps its identity while `state` does.
 *
 * ```tsx
 * const tasks = sharedState(bus, 'tasks', [] as Task[], { persist: true })   // module scope
 * function Count() {
 *   const [list, setList] = useSharedState(tasks)
 *   return <button onClick={() => setList((l) => [...l, newTask()])}>{list.length} tasks</button>
 * }
 * ```
 */
export function useSharedState<T>(state: SharedStateLike<T>): [value: T, set: SetSharedState<T>] {
  const api = useMemo(
    () => ({
      subscribe: (onChange: () => void) => {
        const sub = state.value$.subscribe({ next: () => onChange() })
        return () => sub.unsubscribe()
      },
      get: () => state.get(),
      set: ((next) => state.set(next)) as SetSharedState<T>,
    }),
    [state],
  )
  const value = useSyncExternalStore(api.subscribe, api.get, api.get)
  return [value, api.set]
}

/**
 * Whether this tab leads the election now; `false` on the server.
 *
 * ```tsx
 * const leader = electLeader('app')   // module scope
 * function Badge() {
 *   return useLeader(leader) ? <b>leader</b> : <span>follower</span>
 * }
 * ```
 */
export function useLeader(election: LeaderLike): boolean {
  const api = useMemo(
    () => ({
      subscribe: (onChange: () => void) => {
        const sub = election.isLeader$.subscribe({ next: () => onChange() })
        return () => sub.unsubscribe()
      },
      get: () => election.isLeader,
    }),
    [election],
  )
  return useSyncExternalStore(api.subscribe, api.get, notLeader)
}

function notLeader(): boolean {
  return false
}
