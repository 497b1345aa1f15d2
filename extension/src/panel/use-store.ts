import { useEffect, useReducer } from 'preact/hooks'
import type { PanelStore } from './store.ts'

/** Re-renders at most every `ms` while the store changes (a flood must not re-render per batch). */
export function useStore(store: PanelStore, ms = 50): number {
  const [, tick] = useReducer((x: number) => x + 1, 0)
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const off = store.subscribe(() => {
      timer ??= setTimeout(() => {
        timer = undefined
        tick(0)
      }, ms)
    })
    return () => {
      off()
      clearTimeout(timer)
    }
  }, [store, ms])
  return store.version
}
