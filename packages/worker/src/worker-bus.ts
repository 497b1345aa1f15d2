// Inside a worker: a bus joined to the page's. In a dedicated worker it bridges over `self`; in a
// SharedWorker it bridges every connecting page's port, and the worker bus is the hub between them
// (an event from one page reaches the others, never its sender).
import { createBus, createOriginId, type Bus, type BusOptions, type EventMap, type EventMapOf } from '@tidings/core'
import { connectWorker, type ConnectWorkerOptions, type WorkerBridge } from './bridge.js'
import type { MessageEndpoint } from './protocol.js'

export interface WorkerBusOptions<M extends EventMapOf<M> = EventMap> extends Omit<ConnectWorkerOptions, 'name'> {
  /** Use this bus instead of creating one. */
  bus?: Bus<M>
  /** Options for the bus workerBus creates (origin defaults to `worker-<random>`). */
  busOptions?: BusOptions<M>
  /** Called with each bridge (one in a dedicated worker, one per connected page in a SharedWorker). */
  onBridge?: (bridge: WorkerBridge<M>) => void
}

interface ConnectEventLike {
  ports: readonly MessagePort[]
}

/** Creates (or takes) the worker's bus and connects it to the page(s). Call it once per worker. */
export function workerBus<M extends EventMapOf<M> = EventMap>(opts: WorkerBusOptions<M> = {}): Bus<M> {
  const bus = opts.bus ?? createBus<M>({ origin: createOriginId('worker'), ...opts.busOptions })
  const { share, maxBatch, maxBatchBytes, maxPending, livenessTimeoutMs } = opts
  const bridgeOpts: ConnectWorkerOptions = {}
  if (share !== undefined) bridgeOpts.share = share
  if (maxBatch !== undefined) bridgeOpts.maxBatch = maxBatch
  if (maxBatchBytes !== undefined) bridgeOpts.maxBatchBytes = maxBatchBytes
  if (maxPending !== undefined) bridgeOpts.maxPending = maxPending
  if (livenessTimeoutMs !== undefined) bridgeOpts.livenessTimeoutMs = livenessTimeoutMs
  const scope = globalThis as unknown as EventTarget & { postMessage?: unknown }
  if (isSharedWorkerScope()) {
    let n = 0
    scope.addEventListener('connect', (e) => {
      const port = (e as unknown as ConnectEventLike).ports[0]
      if (port === undefined) return
      n++
      const bridge = connectWorker(bus, port, { ...bridgeOpts, name: `worker-port#${n}` })
      opts.onBridge?.(bridge)
    })
  } else {
    const bridge = connectWorker(bus, scope as unknown as MessageEndpoint, { ...bridgeOpts, name: 'page' })
    opts.onBridge?.(bridge)
  }
  return bus
}

function isSharedWorkerScope(): boolean {
  const g = globalThis as { SharedWorkerGlobalScope?: abstract new () => unknown }
  return typeof g.SharedWorkerGlobalScope === 'function' && globalThis instanceof g.SharedWorkerGlobalScope
}
