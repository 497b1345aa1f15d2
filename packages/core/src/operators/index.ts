// RxJS operators for bus streams (and any Observable), one per file.
export { batch, type BatchOptions } from './batch.ts'
export { ofType } from './of-type.ts'
export { processBounded, type ProcessBoundedOptions } from './process-bounded.ts'
