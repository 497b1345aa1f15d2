// The events the panel may ask to replay, kept in the page (unredacted: a replay must publish the
// real data). Bounded in bytes, not only in count: 500 events of 5 MB each kept 100+ MB alive.
// What an event costs is the sanitizer's estimate of its data and metadata (SanitizeReport,
// computed anyway when the event is streamed) plus a fixed envelope charge.
import type { TidingsEvent } from '@tidings/core'
import type { SanitizeReport } from './sanitize.js'

/** Charged per event on top of its data: the envelope's fields and the buffer's own entry. */
export const ENVELOPE_BYTES = 200

export interface ReplayBuffer {
  /** Bytes charged for the events held. */
  readonly bytes: number
  readonly size: number
  /** Keeps `event`, evicting the oldest until it fits. An event whose size is unknown or larger
   *  than the whole budget is not kept (holding it would break the bound); returns whether it was. */
  hold(event: TidingsEvent, size: SanitizeReport): boolean
  get(id: string): TidingsEvent | undefined
  clear(): void
}

/** A closure rather than a class: its state minifies to local names (the agent's size budget). */
export function createReplayBuffer(maxBytes: number, maxEvents: number): ReplayBuffer {
  const held = new Map<string, { event: TidingsEvent; bytes: number }>()
  let total = 0
  return {
    get bytes() {
      return total
    },
    get size() {
      return held.size
    },
    hold(event, size) {
      const bytes = size.bytes + ENVELOPE_BYTES
      if (!size.sized || bytes > maxBytes || maxEvents === 0) return false
      while (held.size > 0 && (total + bytes > maxBytes || held.size >= maxEvents)) {
        const [id, oldest] = held.entries().next().value as [string, { bytes: number }]
        held.delete(id)
        total -= oldest.bytes
      }
      held.set(event.id, { event, bytes })
      total += bytes
      return true
    },
    get: (id) => held.get(id)?.event,
    clear() {
      held.clear()
      total = 0
    },
  }
}
