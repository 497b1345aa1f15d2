// The one shape every library is driven through in the routing benchmark. Each library runs in its
// own process, so these call sites stay monomorphic and the wrapper costs every library the same.

export type Listener = (payload: unknown) => void

export interface BenchEmitter {
  on(name: string, listener: Listener): void
  /** Tidings pattern syntax (`a.*.c`, `a.**`); absent when the library has no wildcards. */
  onPattern?: (pattern: string, listener: Listener) => void
  publish(name: string, payload: unknown): void
}

export interface BenchLibrary {
  /** Column title. */
  label: string
  create(): BenchEmitter
}
