// The event envelope: plain and structured-cloneable, so it crosses tabs, workers, IndexedDB and
// the extension unchanged.

export interface EventSource {
  component?: string
  instanceId?: string
}

export interface TidingsEvent<T = unknown, K extends string = string> {
  /** Unique across contexts: `${origin}:${seq}` (no per-event crypto). */
  id: string
  type: K
  /** Epoch ms. */
  timestamp: number
  version: 1
  data: T
  /** Id of the context (tab / worker) that published it. */
  origin: string
  /** Per-origin publish counter: ordering and gap detection across contexts. */
  seq: number
  source?: EventSource
  correlationId?: string
  /** Id of the event whose handler published this one. */
  causationId?: string
  metadata?: Record<string, unknown>
  priority?: number
  persistent?: boolean
  ttlMs?: number
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'

/** A short random context id, made once per bus (crypto is fine here: not per event). */
export function createOriginId(prefix = 'ctx'): string {
  const bytes = new Uint8Array(10)
  globalThis.crypto.getRandomValues(bytes)
  let s = ''
  for (const b of bytes) s += ALPHABET[b % 36]
  return `${prefix}-${s}`
}
