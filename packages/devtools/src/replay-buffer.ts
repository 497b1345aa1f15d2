// The events the panel may ask to replay, kept in the page (unredacted: a replay must publish the
// real data). Bounded in bytes, not only in count: 500 events of 5 MB each kept 100+ MB alive.
// What an event costs is the sanitizer's estimate of its data and metadata (SanitizeReport,
// computed anyway when the event is streamed) plus a fixed envelope charge.
import type { TidingsEvent } from '@tidings/core'
import type { SanitizeReport } from './sanitize.js'

/** Charged per event on top of its data: the envelope's fields and the buffer's own entry. */
export const ENVELOPE_BYTES = 200

export class ReplayBuffer {
  private readonly held = new Map<string, { event: TidingsEvent; bytes: number }>()
  private total = 0
  private readonly maxBytes: number
  private readonly maxEvents: number

  constructor(maxBytes: number, maxEvents: number) {
    this.maxBytes = maxBytes
    this.maxEvents = maxEvents
  }

  /** Bytes charged for the events held. */
  get bytes(): number {
    return this.total
  }

  get size(): number {
    return this.held.size
  }

  /** Keeps `event`, evicting the oldest until it fits. An event whose size is unknown or larger
   *  than the whole budget is not kept (holding it would break the bound); returns whether it was. */
  hold(event: TidingsEvent, size: SanitizeReport): boolean {
    const bytes = size.bytes + ENVELOPE_BYTES
    if (!size.sized || bytes > this.maxBytes || this.maxEvents === 0) return false
    while (this.held.size > 0 && (this.total + bytes > this.maxBytes || this.held.size >= this.maxEvents)) {
      const [id, oldest] = this.held.entries().next().value as [string, { bytes: number }]
      this.held.delete(id)
      this.total -= oldest.bytes
    }
    this.held.set(event.id, { event, bytes })
    this.total += bytes
    return true
  }

  get(id: string): TidingsEvent | undefined {
    return this.held.get(id)?.event
  }

  clear(): void {
    this.held.clear()
    this.total = 0
  }
}
