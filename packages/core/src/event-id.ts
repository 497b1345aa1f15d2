// Event ids are `${origin}:${seq}` in decimal. Number-to-string conversion per event costs more
// than the rest of the envelope, so ids are produced in sequence: the low three digits come from
// a table and the high part is rebuilt once every thousand events.
const LOW_PADDED = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'))

export class EventIds {
  private lo = 0
  private hi = 0
  // `declare`d: set in the constructor (see TidingsBus).
  private declare prefix: string

  private declare readonly origin: string
  constructor(origin: string) {
    this.origin = origin
    this.prefix = origin + ':'
  }

  /** The id for the next seq (0, 1, 2, ...): call exactly once per seq. */
  next(): string {
    const lo = this.lo
    const id = this.hi === 0 ? this.prefix + String(lo) : this.prefix + LOW_PADDED[lo]!
    if (lo === 999) {
      this.lo = 0
      this.prefix = this.origin + ':' + String(++this.hi)
    } else {
      this.lo = lo + 1
    }
    return id
  }
}
