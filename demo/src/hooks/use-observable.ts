// Subscribes a Preact component to an RxJS Observable (hot bus streams, sharedState.value$...).
import type { Observable } from 'rxjs'
import { useEffect, useState } from 'preact/hooks'

export function useObservable<T>(source$: Observable<T>, initial: T): T {
  const [value, setValue] = useState<T>(initial)
  useEffect(() => {
    const sub = source$.subscribe(setValue)
    return () => sub.unsubscribe()
  }, [source$])
  return value
}

/** Re-renders every `ms` while mounted (for counters read with .stats()). */
export function useTick(ms: number): number {
  const [n, setN] = useState(0)
  useEffect(() => {
    const t = setInterval(() => setN((x) => x + 1), ms)
    return () => clearInterval(t)
  }, [ms])
  return n
}
