// Hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a counter, so stamps follow
// real time when clocks agree and still order causally when they do not. Ties between different
// writers are broken by origin id, which makes "last writer wins" a total order: every tab picks
// the same winner, so they converge.
export interface Stamp {
  /** Wall-clock part, epoch ms. */
  t: number
  /** Counter within the same t. */
  c: number
  /** Writer's id: the tie-breaker. */
  o: string
}

export function compareStamps(a: Stamp, b: Stamp): number {
  if (a.t !== b.t) return a.t < b.t ? -1 : 1
  if (a.c !== b.c) return a.c < b.c ? -1 : 1
  return a.o < b.o ? -1 : a.o > b.o ? 1 : 0
}

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
  private t = 0
  private c = 0

  readonly origin: string
  private readonly now: () => number
  constructor(
    origin: string,
    now: () => number = Date.now,
  ) {
    this.origin = origin
    this.now = now
  }

  /** A stamp for a local write, later than everything seen so far. */
  tick(): Stamp {
    const pt = Math.floor(this.now())
    if (pt > this.t) {
      this.t = pt
      this.c = 0
    } else {
      this.c++
    }
    return { t: this.t, c: this.c, o: this.origin }
  }

  /** Moves the clock past a stamp received from elsewhere. */
  observe(remote: Stamp): void {
    const pt = Math.floor(this.now())
    const t = Math.max(this.t, remote.t, pt)
    if (t === this.t && t === remote.t) this.c = Math.max(this.c, remote.c) + 1
    else if (t === this.t) this.c++
    else if (t === remote.t) this.c = remote.c + 1
    else this.c = 0
    this.t = t
  }
}
