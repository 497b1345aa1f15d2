export { connectWorker, assertCloneable, type ConnectWorkerOptions, type WorkerBridge, type WorkerBridgeStats } from './bridge.ts'
export { workerBus, type WorkerBusOptions } from './worker-bus.ts'
export {
  createWorkerPool,
  type WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStats,
  type PoolCallOptions,
  type PoolHandlerContext,
  type PoolHandlerOptions,
} from './pool.ts'
export { registerHandlers, type WorkerHandler, type WorkerHandlerContext } from './register-handlers.ts'
export { findUncloneable, type UncloneableValue } from './clone-check.ts'
export type { MessageEndpoint } from './protocol.ts'
export {
  TimeoutError,
  UncloneableDataError,
  InvalidWorkerTargetError,
  InvalidWorkerOptionError,
  WorkerCrashedError,
  WorkerRestartLimitError,
  WorkerPoolTerminatedError,
  UnknownHandlerError,
} from './errors.ts'
/** Comlink's transfer(): return `transfer(value, [value.buffer])` from a worker handler to move
 *  (not copy) the result back. */
export { transfer } from 'comlink'
