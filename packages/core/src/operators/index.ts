// RxJS operators for bus streams (and any Observable), one per file.
export { batch, type BatchOptions } from './batch.js'
export { ofType } from './of-type.js'
export { processBounded, type ProcessBoundedOptions } from './process-bounded.js'
