// What openHistory loads with import() on first use, not up front: planning and reading queries
// (plan, where, glob, reader, slices), counts, clear(q), replay, export, import parsing and the TTL
// sweep. Recording (capture, the writer, eviction) is what every app with a history runs from the
// start; these are async, so their first call waits for this module once (bundlers put it in a
// chunk of its own).
export { planQuery } from './plan.js'
export { readQuery } from './glob.js'
export { countFromIndexes } from './count.js'
export { deleteIds, sweepExpired } from './maintain.js'
export { checkSpeed, replayPages } from './replay.js'
export { slicer } from './slice.js'
export { checkFormat, parseImport, serialize } from './transfer.js'
