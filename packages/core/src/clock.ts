// A cheap epoch-ms clock for envelopes. Date.now() costs 20-70 ns (more than routing an event),
// so the value is reused within one synchronous burst: it is re-read in every new task (a
// microtask clears it) and, inside a long burst, every FIRST_INTERVAL reads at first. While the
// clock moves by at most 1 ms over an interval (publishes are fast), the interval doubles, up to
// MAX_INTERVAL; as soon as it moves more, the interval is FIRST_INTERVAL again. A 1000-topic
// publish costs ~33 ns, so a fixed 32 spent ~2 ns of it (a third of its lag behind
// eventemitter3) on Date.now(); 512 fast publishes take ~15 µs, far under the clock's 1 ms.
// The microtask is a reaction to an already resolved promise, not queueMicrotask(): Node wraps
// every queueMicrotask callback in an AsyncResource (an object, a bound function, async-hook
// bookkeeping) whose hidden classes die at each full GC, deoptimizing what called it. With one
// request in flight every round trip is a burst of its own: request/reply ran ~1.8x faster.
const FIRST_INTERVAL = 32
const MAX_INTERVAL = 512

const resolved = Promise.resolve()
let cached = 0
/** Reads left before the next Date.now(). */
let left = 0
/** The current interval; 0 until the first read of a task, which always sets FIRST_INTERVAL. */
let interval = 0
let clearScheduled = false

function clear(): void {
  left = 0
  interval = 0
  clearScheduled = false
}

/** Epoch ms, from the cache while it is fresh. Kept tiny (the refresh is out of line): it is
 *  inlined into publish(), whose inlined size decides whether V8 inlines publish() itself. */
export function now(): number {
  return left-- > 0 ? cached : refresh()
}

function refresh(): number {
  const t = Date.now()
  // (A clock that went back, as system clocks may, counts as moved. The first read of a task
  // compares with an earlier task's value, which says nothing about this burst: 32.)
  interval = interval !== 0 && t >= cached && t - cached <= 1 ? Math.min(interval * 2, MAX_INTERVAL) : FIRST_INTERVAL
  cached = t
  left = interval - 1
  if (!clearScheduled) {
    clearScheduled = true
    void resolved.then(clear)
  }
  return t
}
