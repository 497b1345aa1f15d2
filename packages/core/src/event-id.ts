// Event ids are `${origin}:${seq}` in decimal. Number-to-string conversion per event costs more
// than the rest of the envelope, so ids are produced in sequence: the low three digits come from
// a table and the high part is rebuilt once every thousand events.
/** '0' ... '999': the low part while the high part is 0 (ids `o:0` ... `o:999`). */
const LOW = Array.from({ length: 1000 }, (_, i) => String(i))
/** '000' ... '999': the low part once the high part is set (`o:1000`, `o:1001`, ...). */
const LOW_PADDED = LOW.map((s) => s.padStart(3, '0'))

export class EventIds {
  // TypeScript `private`, not #fields: read on every publish, where #fields measured slower
  // (docs/size.md).
  /** seq % 1000 of the next id. */
  private lo = 0
  private hi = 0
  // `declare`d: set in the constructor (see TidingsBus).
  /** `${origin}:` followed by the high digits (none while they are 0). */
  private declare prefix: string
  private declare low: readonly string[]

  private declare readonly origin: string
  constructor(origin: string) {
    this.origin = origin
    this.prefix = origin + ':'
    this.low = LOW
  }

  /** The id for the next seq (0, 1, 2, ...): call exactly once per seq. One concatenation and
   *  two field writes; the rare rollover is out of line so this stays small enough to inline. */
  next(): string {
    const lo = this.lo
    const id = this.prefix + this.low[lo]!
    if (lo === 999) this.rollover()
    else this.lo = lo + 1
    return id
  }

  private rollover(): void {
    this.lo = 0
    this.low = LOW_PADDED
    this.prefix = this.origin + ':' + String(++this.hi)
  }
}
