// Handler offloading (docs/worker.md, "Offloading handlers to a worker pool"): named handlers run in a
// pool of module workers called over Comlink. A worker that crashes (uncaught error, self.close(),
// failed load) or runs a call past timeoutMs is terminated and replaced; its call fails with
// WorkerCrashedError / TimeoutError so the subscription's retry policy can run it again. No call
// promise is ever left pending: every path out of a call settles it.
import { transfer as comlinkTransfer, wrap } from 'comlink'
import { emitSystemEvent, type Bus, type TidingsEvent } from '@tidings/core'
import { checkNumber, toError } from '@tidings/core/bridge'
import {
  InvalidWorkerOptionError,
  workerOptionError,
  TimeoutError,
  WorkerCrashedError,
  WorkerPoolTerminatedError,
  WorkerRestartLimitError,
} from './errors.js'
import type { WorkerPoolOptions, PoolCallOptions, PoolHandlerContext, PoolHandlerOptions, WorkerPool } from './pool-types.js'
import { connectMessage, readPortMessage, type CallMeta, type PoolApi } from './pool-protocol.js'
import { abortCall, abortError } from './pool-abort.js'
import type { Call, Slot } from './pool-slot.js'

export type { WorkerPoolOptions, PoolCallOptions, PoolHandlerContext, PoolHandlerOptions, WorkerPoolStats, WorkerPool } from './pool-types.js'

let poolCount = 0

// One closure rather than a class: the pool's state and helpers are locals, which minify (a
// class's fields and methods keep their names in the bundle).
export function createWorkerPool(factory: () => Worker, opts: WorkerPoolOptions = {}): WorkerPool {
  if (typeof factory !== 'function')
    throw new InvalidWorkerOptionError('factory', factory, "pass a function that creates the worker, e.g. () => new Worker(new URL('./w.ts', import.meta.url), { type: 'module' })")
  /** Where crashes and restarts are reported as system events (opts.bus). */
  const bus: Bus | undefined = opts.bus
  poolCount++
  const name = opts.name ?? (poolCount === 1 ? 'pool' : `pool#${poolCount}`)
  const hc = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2
  const size = check('size', opts.size ?? Math.min(4, Math.max(1, hc - 1)), 1, 'use an integer >= 1')
  const timeoutMs = check('timeoutMs', opts.timeoutMs ?? 30_000, 0, 'use milliseconds >= 0 (0 = no limit)')
  const maxRestarts = check('maxRestarts', opts.maxRestarts ?? 10, 0, 'use an integer >= 0')
  const startTimeoutMs = check('startTimeoutMs', opts.startTimeoutMs ?? 10_000, 1, 'use milliseconds >= 1')
  let terminated = false
  const slots: Slot[] = []
  const queue: Call[] = []
  let nextId = 1
  const lockPrefix = Math.random().toString(36).slice(2)
  let watchdog: ReturnType<typeof setTimeout> | undefined
  let watchdogAt = Infinity
  let broken: WorkerRestartLimitError | undefined
  /** Places whose worker died and whose replacement has not said ready yet. */
  const down = new Set<number>()
  const counters = { calls: 0, completed: 0, failed: 0, crashes: 0, timeouts: 0, restarts: 0, spawned: 0, ignoredConnects: 0, malformed: 0 }

  const call = <R = unknown>(handler: string, event: TidingsEvent, copts: PoolCallOptions = {}): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      counters.calls++
      if (terminated) return failEarly(reject, new WorkerPoolTerminatedError(name, handler))
      if (broken) return failEarly(reject, broken)
      const signal = copts.signal
      if (signal?.aborted) return failEarly(reject, abortError(signal, handler))
      const c: Call = { id: nextId++, name: handler, event, opts: copts, resolve: resolve as (v: unknown) => void, reject, settled: false }
      if (signal !== undefined) {
        const onAbort = () => abortCall(c, signal, queue, slots, settle)
        signal.addEventListener('abort', onAbort, { once: true })
        c.cleanup = () => signal.removeEventListener('abort', onAbort)
      }
      queue.push(c)
      pump()
    })

  return {
    name,
    get terminated() {
      return terminated
    },
    handler<R = unknown, E extends TidingsEvent = TidingsEvent>(handler: string, hopts: PoolHandlerOptions<E> = {}) {
      if (typeof handler !== 'string' || handler.length === 0) throw new InvalidWorkerOptionError('handler name', handler, 'use the name given to registerHandlers() in the worker')
      return (event: E, ctx?: PoolHandlerContext): Promise<R> => {
        const o: PoolCallOptions = {}
        if (ctx?.signal !== undefined) o.signal = ctx.signal
        if (ctx?.attempt !== undefined) o.attempt = ctx.attempt
        if (ctx?.subscription !== undefined) o.subscriptionId = ctx.subscription.id
        if (hopts.transfer !== undefined) o.transfer = hopts.transfer(event)
        return call<R>(handler, event, o)
      }
    },
    call,
    stats: () => ({
      size,
      workers: slots.length,
      busy: slots.filter((s) => s.busy !== undefined).length,
      queued: queue.length,
      ...counters,
    }),
    terminate() {
      if (terminated) return
      terminated = true
      clearTimeout(watchdog)
      for (const c of queue.splice(0)) settle(c, new WorkerPoolTerminatedError(name, c.name))
      for (const slot of [...slots]) {
        const c = slot.busy
        kill(slot)
        if (c) settle(c, new WorkerPoolTerminatedError(name, c.name))
      }
    },
  }

  // ------------------------------------------------------------------ scheduling

  function pump(): void {
    if (broken) {
      for (const c of queue.splice(0)) settle(c, broken)
      for (const slot of [...slots]) if (slot.busy === undefined) kill(slot)
      return
    }
    // `terminated` is checked each turn: the factory (user code) may terminate the pool.
    while (queue.length > 0) {
      if (terminated) return
      const slot = slots.find((s) => s.ready && s.busy === undefined && !s.dead)
      if (slot !== undefined) {
        run(slot, queue.shift()!)
        continue
      }
      // Calls go only to workers that said ready (handlers registered, life lock taken); start
      // another one while there is room and fewer are starting than calls are waiting.
      let starting = 0
      for (const s of slots) if (!s.ready) starting++
      if (slots.length >= size || starting >= queue.length) return
      if (spawn() === undefined) return // spawn failed: counted as a crash, pump ran again there
    }
  }

  function spawn(): Slot | undefined {
    let index = 0
    while (slots.some((s) => s.index === index)) index++
    let worker: Worker
    try {
      worker = factory()
    } catch (err) {
      counters.spawned++
      onDeath(undefined, `the factory threw: ${toError(err).message}`, 'crash', index)
      return undefined
    }
    counters.spawned++
    const { port1, port2 } = new MessageChannel()
    const remote = wrap<PoolApi>(port1)
    const lock = locks() !== undefined ? `tidings-pool:${lockPrefix}:${counters.spawned}` : undefined
    // Posted before anything else can reach the new worker: it serves the first connect only.
    worker.postMessage(connectMessage(port2, lock), [port2])
    const slot: Slot = {
      worker, port: port1, remote, run: remote.run, deadline: Infinity, ready: false, dead: false, detach: () => {}, index,
    }
    const onError = (e: Event) => {
      e.preventDefault() // handled: it becomes the call's WorkerCrashedError
      // Chromium's ErrorEvent message already starts with "Uncaught": say it once.
      const reason = e instanceof ErrorEvent ? `uncaught ${(e.message || 'Error: unknown error').replace(/^Uncaught /, '')}` : 'the worker script failed to load or the worker died'
      onDeath(slot, reason, 'crash')
    }
    const onPortMessage = (e: MessageEvent) => {
      const kind = readPortMessage(e.data) // undefined: Comlink's traffic
      if (kind === 'ignored-connect') counters.ignoredConnects++
      else if (kind === 'malformed' || kind === 'ignored-malformed') counters.malformed++
      else if (kind === 'closing') onDeath(slot, 'the worker called self.close()', 'crash')
      else if (kind === 'ready' && !slot.ready) {
        slot.ready = true
        clearTimeout(slot.timer)
        slot.timer = undefined
        if (lock !== undefined) watchLife(slot, lock)
        if (down.delete(index)) emitSystemEvent(bus ?? {}, '$tidings.worker.restarted', () => ({ worker: workerName(index) }))
        pump()
      }
    }
    worker.addEventListener('error', onError)
    port1.addEventListener('message', onPortMessage)
    port1.start()
    slot.detach = () => {
      worker.removeEventListener('error', onError)
      port1.removeEventListener('message', onPortMessage)
    }
    slot.timer = setTimeout(
      () => onDeath(slot, `it did not call registerHandlers() within ${startTimeoutMs} ms (startTimeoutMs)`, 'crash'),
      startTimeoutMs,
    )
    slots.push(slot)
    return slot
  }

  /** The worker holds `lock` while alive (registerHandlers takes it before saying ready), so our
   *  request is granted exactly when its context is gone: self.close() through any path, a crash
   *  of the worker thread, or our own terminate(). */
  function watchLife(slot: Slot, lock: string): void {
    const lm = locks()
    if (lm === undefined) return
    const wait = new AbortController()
    slot.lockWait = wait
    lm.request(lock, { signal: wait.signal }, () => {
      onDeath(slot, 'the worker went away (closed or destroyed)', 'crash')
    }).catch(() => {}) // aborted by kill(): we ended it ourselves
  }

  // One watchdog timer for the whole pool instead of a setTimeout/clearTimeout pair per call
  // (those cost more than the rest of a call's bookkeeping). Deadlines only grow, so it is
  // re-armed at most once per timeoutMs.
  function startTimer(slot: Slot): void {
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) return
    slot.deadline = performance.now() + timeoutMs
    if (slot.deadline < watchdogAt) armWatchdog(slot.deadline)
  }

  function armWatchdog(at: number): void {
    clearTimeout(watchdog)
    watchdogAt = at
    watchdog = setTimeout(checkDeadlines, Math.max(0, at - performance.now()))
  }

  function checkDeadlines(): void {
    watchdog = undefined
    watchdogAt = Infinity
    const now = performance.now()
    let next = Infinity
    for (const slot of [...slots]) {
      if (slot.deadline <= now) onDeath(slot, 'timeout', 'timeout')
      else if (slot.deadline < next) next = slot.deadline
    }
    if (next !== Infinity && !terminated) armWatchdog(next)
  }

  function run(slot: Slot, c: Call): void {
    slot.busy = c
    startTimer(slot)
    const meta: CallMeta = { attempt: c.opts.attempt ?? 1 }
    if (c.opts.subscriptionId !== undefined) meta.subscriptionId = c.opts.subscriptionId
    const t = c.opts.transfer
    const event = t !== undefined && t.length > 0 ? comlinkTransfer(c.event, t) : c.event
    let pending: Promise<unknown>
    try {
      pending = slot.run(c.id, c.name, event, meta)
    } catch (err) {
      // postMessage refused the arguments (e.g. uncloneable data): the worker is fine.
      finish(slot, c, failure(c, err, false), false)
      return
    }
    pending.then(
      (value) => finish(slot, c, value, true),
      (err: unknown) => finish(slot, c, failure(c, err, true), false),
    )
  }

  /** A call's rejection as the page sees it (pool-failure.ts: the worker's error rebuilt with its
   *  fields and cause chain, a thrown non-Error as NonErrorThrownError, a DataCloneError naming
   *  the field). That reader is loaded with import() on the first failed call, so a page pays for
   *  it only once a call fails; should the load fail, the error is passed on as it came. */
  function failure(c: Call, err: unknown, fromWorker: boolean): Promise<Error> {
    return import('./pool-failure.js').then(
      ({ readFailure }) => readFailure(c.name, c.event, err, fromWorker, () => counters.malformed++),
      () => toError(err),
    )
  }

  function finish(slot: Slot, c: Call, value: unknown, ok: boolean): void {
    if (slot.busy !== c || slot.dead) return // the slot died first and already settled the call
    slot.deadline = Infinity
    slot.busy = undefined
    if (ok) settle(c, undefined, value)
    // An error still being explained (explain()): the worker is free now, the call settles then
    // (an abort meanwhile wins, as settle() settles once).
    else if (value instanceof Promise) void value.then((err: Error) => settle(c, err))
    else settle(c, value as Error)
    pump()
  }

  // ------------------------------------------------------------------ faults

  function onDeath(slot: Slot | undefined, reason: string, kind: 'crash' | 'timeout', index = slot?.index ?? 0): void {
    const c = slot?.busy
    if (slot !== undefined) {
      if (slot.dead) return
      kill(slot)
    }
    if (terminated) return
    down.add(index)
    emitSystemEvent(bus ?? {}, '$tidings.worker.crashed', () => ({
      worker: workerName(index),
      reason: kind === 'timeout' ? `a call ran past timeoutMs (${timeoutMs} ms)` : reason,
    }))
    if (kind === 'timeout') counters.timeouts++
    else counters.crashes++
    if (c !== undefined) {
      const err = kind === 'timeout'
        ? new TimeoutError(`Worker handler "${c.name}" (pool "${name}")`, timeoutMs)
        : new WorkerCrashedError(c.name, reason, name)
      settle(c, err)
    }
    counters.restarts++
    if (counters.restarts > maxRestarts) {
      broken = new WorkerRestartLimitError(name, maxRestarts, kind === 'timeout' ? `a call timed out after ${timeoutMs} ms` : reason)
    } else if (queue.length === 0 && slots.length < size) {
      // Replace the worker right away so the pool stays warm; a replacement that dies counts too.
      spawn()
    }
    pump()
  }

  /** How system events name the worker in place `index`. */
  function workerName(index: number): string {
    return `pool:${name}#${index}`
  }

  function kill(slot: Slot): void {
    slot.dead = true
    clearTimeout(slot.timer)
    slot.timer = undefined
    slot.deadline = Infinity
    slot.busy = undefined
    slot.detach()
    slot.lockWait?.abort()
    slot.worker.terminate()
    slot.port.close()
    const i = slots.indexOf(slot)
    if (i >= 0) slots.splice(i, 1)
  }

  function settle(c: Call, error: Error | undefined, value?: unknown): void {
    if (c.settled) return
    c.settled = true
    c.cleanup?.()
    if (error === undefined) {
      counters.completed++
      c.resolve(value)
    } else {
      counters.failed++
      c.reject(error)
    }
  }

  function failEarly(reject: (e: Error) => void, err: Error): void {
    counters.failed++
    reject(err)
  }
}

function locks(): LockManager | undefined {
  return typeof navigator !== 'undefined' ? navigator.locks : undefined
}

function check(option: string, v: number, min: number, rule: string): number {
  return checkNumber(v, option, (n) => !Number.isNaN(n) && n >= min && (option.endsWith('Ms') || Number.isInteger(n)), rule, workerOptionError)
}
