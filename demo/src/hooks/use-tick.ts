// Re-renders every `ms` while mounted, for counters read with .stats() (they have no stream).
import { useEffect, useState } from 'preact/hooks'

export function useTick(ms: number): number {
  const [n, setN] = useState(0)
  useEffect(() => {
    const t = setInterval(() => setN((x) => x + 1), ms)
    return () => clearInterval(t)
  }, [ms])
  return n
}
