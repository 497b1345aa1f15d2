// Queued-throughput runs publish in bursts of this many events, each drained before the next, so
// the backlog (and RxJS mergeMap's Array#shift buffer, which is O(backlog) per event) stays bounded.
export const BURST = 1000
