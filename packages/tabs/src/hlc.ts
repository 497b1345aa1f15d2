// Hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a counter, so stamps follow
// real time when clocks agree and still order causally when they do not. Ties between different
// writers are broken by origin id, which makes "last writer wins" a total order: every tab picks
// the same winner, so they converge.
//
// A clock must keep working whatever it is shown. A stamp from elsewhere is taken only if the
// clock can go on after it: its counter is at most MAX_COUNTER, and it (and the stamp that follows
// it) is at most maxSkewMs ahead of this clock's wall time. Anything else is refused and leaves
// the clock as it was, so one hostile stamp can neither push the counter past 2^53 (where stamps
// stop being integers) nor make every later write lose to it for a day.
export interface Stamp {
  /** Wall-clock part, epoch ms. */
  t: number
  /** Counter within the same t, 0 to MAX_COUNTER. */
  c: number
  /** Writer's id: the tie-breaker. */
  o: string
}

/** Largest counter a stamp may carry. A clock whose counter would pass it moves t on by 1 ms. */
export const MAX_COUNTER = 2 ** 31
/** How far ahead of this tab's clock a stamp may be, by default. */
export const DEFAULT_MAX_SKEW_MS = 60_000

export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1
  if (a.c !== b.c) return a.c < b.c ? -1 : 1
  return a.o < b.o ? -1 : a.o > b.o ? 1 : 0
}

/** The shape of a stamp (safe integers, a short writer id). Whether the clock can take it is
 *  HybridClock.refuses(). */
export function isStamp(v: unknown): v is Stamp {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Record<string, unknown>
  return (
    typeof s['t'] === 'number' &&
    Number.isSafeInteger(s['t']) &&
    s['t'] >= 0 &&
    typeof s['c'] === 'number' &&
    Number.isSafeInteger(s['c']) &&
    s['c'] >= 0 &&
    typeof s['o'] === 'string' &&
    s['o'].length > 0 &&
    s['o'].length <= 200
  )
}

export class HybridClock {
  #t = 0
  #c = 0

  readonly origin: string
  readonly #now: () => number
  readonly maxSkewMs: number
  constructor(origin: string, now: () => number = Date.now, maxSkewMs = DEFAULT_MAX_SKEW_MS) {
    this.origin = origin
    this.#now = now
    this.maxSkewMs = maxSkewMs
  }

  /** A stamp for a local write, later than everything seen so far. */
  tick(): Stamp {
    const pt = Math.floor(this.#now())
    if (pt > this.#t) {
      this.#t = pt
      this.#c = 0
    } else {
      this.#next(this.#c)
    }
    return { t: this.#t, c: this.#c, o: this.origin }
  }

  /**
   * Why the clock cannot take `remote`: 'counter' (above MAX_COUNTER) or 'future' (it, or the
   * stamp that would follow it, is more than maxSkewMs ahead of the wall clock); undefined when
   * it can.
   */
  refuses(remote: Stamp): 'counter' | 'future' | undefined {
    if (remote.c > MAX_COUNTER) return 'counter'
    // At MAX_COUNTER the next stamp carries into t: that one must be within bounds too, or this
    // clock's next write would be refused by every other tab.
    const next = remote.c === MAX_COUNTER ? remote.t + 1 : remote.t
    return next > Math.floor(this.#now()) + this.maxSkewMs ? 'future' : undefined
  }

  /** Moves the clock past a stamp received from elsewhere. Returns false, and leaves the clock
   *  as it was, for a stamp it refuses. */
  observe(remote: Stamp): boolean {
    if (this.refuses(remote) !== undefined) return false
    const pt = Math.floor(this.#now())
    const t = Math.max(this.#t, remote.t, pt)
    if (t === this.#t && t === remote.t) this.#next(Math.max(this.#c, remote.c))
    else if (t === this.#t) this.#next(this.#c)
    else if (t === remote.t) {
      this.#t = t
      this.#next(remote.c)
    } else {
      this.#t = t
      this.#c = 0
    }
    return true
  }

  /** Counter after `c`, carrying into t at MAX_COUNTER (t moves on 1 ms, the counter restarts). */
  #next(c: number): void {
    if (c >= MAX_COUNTER) {
      this.#t++
      this.#c = 0
    } else this.#c = c + 1
  }
}
