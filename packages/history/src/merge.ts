// The events of one window's segments in (timestamp, seq, id) order, produced lazily, so a reader
// can hand the thread back in the middle of a window of dense traffic (10,000 events or more)
// instead of sorting it whole in one task. Each segment is sorted already: they are merged through
// a binary heap of their next events, O(events x log segments), paid as the events are taken.
import type { StoredRecord } from './record.js'
import { compareEvents, type Segment } from './segment.js'

/** Yields the events of `segments` (one window) in order, or reversed. No two segments hold the
 *  same id (the unique `ids` index), so nothing is deduplicated here. */
export function* mergeEvents(segments: readonly Segment[], desc: boolean): Generator<StoredRecord> {
  // Each segment's events in read order (a stored segment is never empty), and the position of
  // its next one.
  const heap = segments.map((s) => ({ ev: desc ? s.events.toReversed() : s.events, i: 0 }))
  type Run = (typeof heap)[number]
  const less = (a: Run, b: Run) => (desc ? -1 : 1) * compareEvents(a.ev[a.i]!, b.ev[b.i]!) < 0
  const down = (i: number) => {
    for (let l; (l = 2 * i + 1) < heap.length; ) {
      const m = l + 1 < heap.length && less(heap[l + 1]!, heap[l]!) ? l + 1 : l
      if (!less(heap[m]!, heap[i]!)) return
      ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
      i = m
    }
  }
  for (let i = heap.length >> 1; i >= 0; i--) down(i)
  while (heap.length > 0) {
    const r = heap[0]!
    yield r.ev[r.i++]!
    if (r.i === r.ev.length) {
      heap[0] = heap.at(-1)!
      heap.pop()
    }
    down(0)
  }
}
