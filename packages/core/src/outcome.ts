// What a subscription's deliver() did with one event; the bus folds these into the
// PublishReceipt. Read them as `Outcome.Delivered` after `import * as Outcome from
// './outcome.js'`. Plain exported constants rather than an enum (not erasable syntax) or a
// constant object: bundlers inline constants, so each use costs a digit in the bundle instead of
// a property read.
export const Skipped = 0
export const Delivered = 1
export const Queued = 2
/** The new event was discarded (drop-newest). */
export const Dropped = 3
/** Queued, and the oldest queued event was evicted to make room (drop-oldest). */
export const QueuedEvicted = 4
export const Rejected = 5
/** Full 'block' queue: publishAsync waits via queue.waitForRoom(), sync publish rejects. */
export const Full = 6

export type Code = typeof Skipped | typeof Delivered | typeof Queued | typeof Dropped | typeof QueuedEvicted | typeof Rejected | typeof Full
