export { connectWorker, type ConnectWorkerOptions, type WorkerBridge, type WorkerBridgeStats, type WorkerBridgeStatus } from './bridge.js'
export { assertCloneable } from './uncloneable.js'
export { workerBus, type WorkerBusOptions } from './worker-bus.js'
export {
  createWorkerPool,
  type WorkerPool,
  type WorkerPoolOptions,
  type WorkerPoolStats,
  type PoolCallOptions,
  type PoolHandlerContext,
  type PoolHandlerOptions,
} from './pool.js'
export {
  registerHandlers,
  type WorkerHandler,
  type WorkerHandlerContext,
  type RegisteredHandlers,
  type PoolWorkerStats,
} from './register-handlers.js'
export { findUncloneable, type UncloneableValue } from '@tidings/core/bridge'
// The worker side went away mid-request (bus.request() across the bridge).
export { ResponderGoneError } from '@tidings/core/bridge'
export type { MessageEndpoint } from './protocol.js'
export {
  TimeoutError,
  UncloneableDataError,
  InvalidWorkerTargetError,
  InvalidWorkerOptionError,
  WorkerCrashedError,
  WorkerRestartLimitError,
  WorkerPoolTerminatedError,
  UnknownHandlerError,
  NonErrorThrownError,
} from './errors.js'
/** Comlink's transfer(): return `transfer(value, [value.buffer])` from a worker handler to move
 *  (not copy) the result back. */
export { transfer } from 'comlink'
