// A cheap epoch-ms clock for envelopes. Date.now() costs 20-70 ns (more than routing an event),
// so the value is reused within one synchronous burst: it is re-read in every new task (a
// microtask clears it) and at least every REFRESH_EVERY reads inside a long burst.
const REFRESH_EVERY = 32

let cached = 0
let reads = REFRESH_EVERY
let clearScheduled = false

function clear(): void {
  reads = REFRESH_EVERY
  clearScheduled = false
}

export function now(): number {
  if (reads < REFRESH_EVERY) {
    reads++
    return cached
  }
  cached = Date.now()
  reads = 1
  if (!clearScheduled) {
    clearScheduled = true
    queueMicrotask(clear)
  }
  return cached
}
