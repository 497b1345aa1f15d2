// Per-origin ordering: BroadcastChannel keeps each sender's order, so an event whose seq is not
// above the last one seen from its origin is a duplicate (e.g. the same worker's events forwarded
// by two tabs) and is dropped. Gaps: an origin's seq also counts events that were never shared
// (local or not matching `share`), so a jump in seq proves nothing. The sender therefore sends,
// per event, `prev`: the seq of the previous event of that origin it forwarded on this channel.
// prev above the last seq we saw means we missed something in between.
export type SeqVerdict = 'ok' | 'gap' | 'stale'

/** No previous event from this origin was forwarded by the sender. */
export const NO_PREV = -1

export class SeqTracker {
  private readonly last = new Map<string, number>()

  private readonly maxOrigins
  constructor(maxOrigins = 4096) {
    this.maxOrigins = maxOrigins
  }

  check(origin: string, seq: number, prev: number): SeqVerdict {
    const last = this.last.get(origin)
    if (last === undefined) {
      // Bounded: forgetting an origin only means its next event is taken as a first sight.
      if (this.last.size >= this.maxOrigins) {
        const oldest = this.last.keys().next().value
        if (oldest !== undefined) this.last.delete(oldest)
      }
      this.last.set(origin, seq)
      return 'ok'
    }
    if (seq <= last) return 'stale'
    this.last.set(origin, seq)
    return prev !== NO_PREV && prev > last ? 'gap' : 'ok'
  }

  /** Records a seq this context sent itself (so the same event arriving later is stale). */
  observe(origin: string, seq: number): void {
    const last = this.last.get(origin)
    if (last === undefined || seq > last) {
      if (last === undefined && this.last.size >= this.maxOrigins) {
        const oldest = this.last.keys().next().value
        if (oldest !== undefined) this.last.delete(oldest)
      }
      this.last.set(origin, seq)
    }
  }

  /** What we remember for an origin (tests, stats). */
  lastSeq(origin: string): number | undefined {
    return this.last.get(origin)
  }

  get origins(): number {
    return this.last.size
  }
}

/** Sender side: remembers the last forwarded seq per origin to fill in `prev`. */
export class PrevTracker {
  private readonly last = new Map<string, number>()

  private readonly maxOrigins
  constructor(maxOrigins = 4096) {
    this.maxOrigins = maxOrigins
  }

  next(origin: string, seq: number): number {
    const prev = this.last.get(origin)
    if (prev === undefined && this.last.size >= this.maxOrigins) {
      const oldest = this.last.keys().next().value
      if (oldest !== undefined) this.last.delete(oldest)
    }
    this.last.set(origin, seq)
    return prev ?? NO_PREV
  }
}
