// A cheap epoch-ms clock for envelopes. Date.now() costs 20-70 ns (more than routing an event),
// so the value is reused within one synchronous burst: it is re-read in every new task (a
// microtask clears it) and at least every REFRESH_EVERY reads inside a long burst.
// The microtask is a reaction to an already resolved promise, not queueMicrotask(): Node wraps
// every queueMicrotask callback in an AsyncResource (an object, a bound function, async-hook
// bookkeeping) whose hidden classes die at each full GC, deoptimizing what called it. With one
// request in flight every round trip is a burst of its own: request/reply ran ~1.8x faster.
const REFRESH_EVERY = 32

const resolved = Promise.resolve()
let cached = 0
let reads = REFRESH_EVERY
let clearScheduled = false

function clear(): void {
  reads = REFRESH_EVERY
  clearScheduled = false
}

/** Epoch ms, from the cache while it is fresh. Kept tiny (the refresh is out of line): it is
 *  inlined into publish(), whose inlined size decides whether V8 inlines publish() itself. */
export function now(): number {
  return reads++ < REFRESH_EVERY ? cached : refresh()
}

function refresh(): number {
  cached = Date.now()
  reads = 1
  if (!clearScheduled) {
    clearScheduled = true
    void resolved.then(clear)
  }
  return cached
}
