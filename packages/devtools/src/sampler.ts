// Keeps the inspection stream under maxEventsPerSecond. Which events survive is decided from the
// envelope's per-origin `seq` with a stride fitted to the previous window's offered rate, so the
// publish item and its deliveries/bridge hops make the same choice without remembering ids.
// The decisions run inside publish(), so they read no clock and compare no time: a budget per
// window and a stride. The window is advanced by the agent's batch timer (`tick`, every batchMs),
// so a window lasts at least a second (1 s to 1 s + batchMs while the page is responsive; a
// burst that holds the main thread for longer is one window, kept to the same budget).
// A closure rather than a class: its state minifies to local names (the agent's size budget).
export interface Sampler {
  /** For 'publish' items: counts the offer and decides (core calls it as InspectOptions.sample,
   *  with the event: only its seq is read). */
  publish(event: { seq: number }): boolean
  /** For items that belong to an event (deliver, bridge): same choice as its publish. */
  follower(seq: number): boolean
  /** For rare, important items (drop, reject, error): only the hard cap on items applies. */
  important(): boolean
  /** While paused every item is skipped (and counted). */
  pause(on: boolean): void
  /** The batch timer's call, with the time (ms, any monotonic clock): starts a new window once a
   *  second has passed since this one started; returns the items skipped since the last tick. */
  tick(at: number): number
}

/** `maxItemsPerSecond` caps all items (deliveries fan out: one publish may deliver to many).
 *  `start`: when the first window starts, on the clock `tick` is given (performance.now()). */
export function createSampler(maxPerSecond: number, maxItemsPerSecond = maxPerSecond * 10, start = performance.now()): Sampler {
  let windowStart = start
  // What this window may still keep; the decisions only count down.
  let publishesLeft = maxPerSecond
  let itemsLeft = maxItemsPerSecond
  let stride = 1
  // Publishes skipped in this window (with the ones kept: the offered rate), and how many of
  // them the last tick reported; other items skipped since the last tick.
  let publishesSkipped = 0
  let reported = 0
  let othersSkipped = 0
  let paused = false
  /** Counts a non-publish item: kept if the items' cap (and `pick`) allow it. */
  const other = (pick: boolean) => {
    if (pick && itemsLeft > 0 && !paused) return itemsLeft-- > 0
    othersSkipped++
    return false
  }
  return {
    publish({ seq }) {
      // The skip path (most events above the rate) is one comparison chain and one increment.
      if (publishesLeft > 0 && itemsLeft > 0 && seq % stride === 0 && !paused) {
        publishesLeft--
        return itemsLeft-- > 0
      }
      publishesSkipped++
      return false
    },
    follower: (seq) => other(seq % stride === 0),
    important: () => other(true),
    pause: (on) => void (paused = on),
    tick(at) {
      const skipped = publishesSkipped - reported + othersSkipped
      reported = publishesSkipped
      othersSkipped = 0
      const elapsed = at - windowStart
      if (elapsed >= 1000) {
        // The offered rate of the window that ends, per second (a window can be longer than a
        // second: a blocked main thread, an idle page whose timer was throttled).
        const offered = maxPerSecond - publishesLeft + publishesSkipped
        stride = Math.max(1, Math.ceil((offered * 1000) / elapsed / maxPerSecond))
        windowStart = at
        publishesLeft = maxPerSecond
        itemsLeft = maxItemsPerSecond
        publishesSkipped = reported = 0
      }
      return skipped
    },
  }
}
