// Keeps the inspection stream under maxEventsPerSecond. Which events survive is decided from the
// envelope's per-origin `seq` with a stride fitted to the previous second's offered rate, so the
// publish item and its deliveries/drops/errors make the same choice without remembering ids.
export class Sampler {
  private windowStart = 0
  private offered = 0
  private keptPublishes = 0
  private items = 0
  private stride = 1
  skipped = 0

  private readonly maxPerSecond: number
  /** Cap on all items per second (deliveries fan out: one publish may deliver to many). */
  private readonly maxItemsPerSecond: number
  constructor(maxPerSecond: number, maxItemsPerSecond = maxPerSecond * 10) {
    this.maxPerSecond = maxPerSecond
    this.maxItemsPerSecond = maxItemsPerSecond
  }

  private roll(at: number): void {
    if (at - this.windowStart < 1000) return
    const elapsed = at - this.windowStart
    // Offered rate of the last window, scaled to a second (windows can be longer when idle).
    const rate = elapsed < 2000 ? this.offered : 0
    this.stride = Math.max(1, Math.ceil(rate / this.maxPerSecond))
    this.windowStart = at
    this.offered = 0
    this.keptPublishes = 0
    this.items = 0
  }

  /** For 'publish' items: counts the offer and decides. */
  takePublish(at: number, seq: number): boolean {
    this.roll(at)
    this.offered++
    if (this.keptPublishes >= this.maxPerSecond || this.items >= this.maxItemsPerSecond || seq % this.stride !== 0) {
      this.skipped++
      return false
    }
    this.keptPublishes++
    this.items++
    return true
  }

  /** For items that belong to an event (deliver, bridge): same choice as its publish. */
  takeFollower(at: number, seq: number): boolean {
    this.roll(at)
    if (this.items >= this.maxItemsPerSecond || seq % this.stride !== 0) {
      this.skipped++
      return false
    }
    this.items++
    return true
  }

  /** For rare, important items (drop, reject, error, subscribe): only the hard cap applies. */
  takeImportant(at: number): boolean {
    this.roll(at)
    if (this.items >= this.maxItemsPerSecond) {
      this.skipped++
      return false
    }
    this.items++
    return true
  }

  takeSkipped(): number {
    const n = this.skipped
    this.skipped = 0
    return n
  }
}
