// Keeps the inspection stream under maxEventsPerSecond. Which events survive is decided from the
// envelope's per-origin `seq` with a stride fitted to the previous second's offered rate, so the
// publish item and its deliveries/drops/errors make the same choice without remembering ids.
// A closure rather than a class: its state minifies to local names (the agent's size budget).
export interface Sampler {
  /** For 'publish' items: counts the offer and decides. */
  takePublish(at: number, seq: number): boolean
  /** For items that belong to an event (deliver, bridge): same choice as its publish. */
  takeFollower(at: number, seq: number): boolean
  /** For rare, important items (drop, reject, error, subscribe): only the hard cap applies. */
  takeImportant(at: number): boolean
  /** Counts one item left out for another reason (paused). */
  skip(): void
  /** Items left out since the last call. */
  takeSkipped(): number
}

/** `maxItemsPerSecond` caps all items (deliveries fan out: one publish may deliver to many). */
export function createSampler(maxPerSecond: number, maxItemsPerSecond = maxPerSecond * 10): Sampler {
  let windowStart = 0
  let offered = 0
  let keptPublishes = 0
  let items = 0
  let stride = 1
  let skipped = 0
  const roll = (at: number) => {
    const elapsed = at - windowStart
    if (elapsed < 1000) return
    // Offered rate of the last window, scaled to a second (windows can be longer when idle).
    stride = Math.max(1, Math.ceil((elapsed < 2000 ? offered : 0) / maxPerSecond))
    windowStart = at
    offered = keptPublishes = items = 0
  }
  /** Counts the item if `keep`, else counts it skipped. */
  const take = (keep: boolean) => {
    if (keep) items++
    else skipped++
    return keep
  }
  return {
    takePublish(at, seq) {
      roll(at)
      offered++
      return take(keptPublishes < maxPerSecond && items < maxItemsPerSecond && seq % stride === 0) && ++keptPublishes > 0
    },
    takeFollower(at, seq) {
      roll(at)
      return take(items < maxItemsPerSecond && seq % stride === 0)
    },
    takeImportant(at) {
      roll(at)
      return take(items < maxItemsPerSecond)
    },
    skip: () => void skipped++,
    takeSkipped() {
      const n = skipped
      skipped = 0
      return n
    },
  }
}
