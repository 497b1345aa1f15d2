// Handler offloading (docs/worker.md, "Offloading handlers to a worker pool"): named handlers run in a
// pool of module workers called over Comlink. A worker that crashes (uncaught error, self.close(),
// failed load) or runs a call past timeoutMs is terminated and replaced; its call fails with
// WorkerCrashedError / TimeoutError so the subscription's retry policy can run it again. No call
// promise is ever left pending: every path out of a call settles it.
import { transfer as comlinkTransfer, wrap, type Remote } from 'comlink'
import { AbortedError, emitSystemEvent, type Bus, type TidingsEvent } from '@tidings/core'
import { checkNumber, toError } from '@tidings/core/bridge'
import {
  InvalidWorkerOptionError,
  workerOptionError,
  NonErrorThrownError,
  TimeoutError,
  UncloneableDataError,
  WorkerCrashedError,
  WorkerPoolTerminatedError,
  WorkerRestartLimitError,
} from './errors.js'
import { findUncloneable } from './clone-check.js'
import type { WorkerPoolOptions, PoolCallOptions, PoolHandlerContext, PoolHandlerOptions, WorkerPoolStats, WorkerPool } from './pool-types.js'
import { connectMessage, readPortMessage, readThrown, type CallMeta, type PoolApi } from './pool-protocol.js'

export type { WorkerPoolOptions, PoolCallOptions, PoolHandlerContext, PoolHandlerOptions, WorkerPoolStats, WorkerPool } from './pool-types.js'

interface Call {
  id: number
  name: string
  event: TidingsEvent
  opts: PoolCallOptions
  resolve: (v: unknown) => void
  reject: (e: Error) => void
  settled: boolean
  cleanup: (() => void) | undefined
}

interface Slot {
  worker: Worker
  port: MessagePort
  remote: Remote<PoolApi>
  /** Comlink proxy of remote.run, made once (each property read builds a new proxy). */
  run: Remote<PoolApi>['run']
  busy: Call | undefined
  /** Start-up timer (until the worker says ready). */
  timer: ReturnType<typeof setTimeout> | undefined
  /** performance.now() by which the running call must finish; Infinity when idle. */
  deadline: number
  /** registerHandlers() answered; only then does the slot take calls (so a slow load never eats
   *  a call's timeoutMs, and the life lock is in place before any handler runs). */
  ready: boolean
  dead: boolean
  /** Cancels the page's wait on the worker's life lock. */
  lockWait: AbortController | undefined
  detach: () => void
  /** Its place in the pool (0..size-1): a replacement takes the place of the worker it replaces,
   *  so system events name `pool:<name>#<index>` for both. */
  index: number
}

let poolCount = 0

export function createWorkerPool(factory: () => Worker, opts: WorkerPoolOptions = {}): WorkerPool {
  if (typeof factory !== 'function')
    throw new InvalidWorkerOptionError('factory', factory, "pass a function that creates the worker, e.g. () => new Worker(new URL('./w.ts', import.meta.url), { type: 'module' })")
  return new Pool(factory, opts)
}

class Pool implements WorkerPool {
  readonly name: string
  terminated = false
  private readonly size: number
  private readonly timeoutMs: number
  private readonly maxRestarts: number
  private readonly startTimeoutMs: number
  private readonly slots: Slot[] = []
  private readonly queue: Call[] = []
  private nextId = 1
  private readonly lockPrefix = Math.random().toString(36).slice(2)
  private watchdog: ReturnType<typeof setTimeout> | undefined
  private watchdogAt = Infinity
  private broken: WorkerRestartLimitError | undefined
  /** Where crashes and restarts are reported as system events (opts.bus). */
  private readonly bus: Bus | undefined
  /** Places whose worker died and whose replacement has not said ready yet. */
  private readonly down = new Set<number>()
  private readonly counters = { calls: 0, completed: 0, failed: 0, crashes: 0, timeouts: 0, restarts: 0, spawned: 0, ignoredConnects: 0, malformed: 0 }

  private readonly factory: () => Worker
  constructor(
    factory: () => Worker,
    opts: WorkerPoolOptions,
  ) {
    this.factory = factory
    this.bus = opts.bus
    poolCount++
    this.name = opts.name ?? (poolCount === 1 ? 'pool' : `pool#${poolCount}`)
    const hc = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2
    this.size = check('size', opts.size ?? Math.min(4, Math.max(1, hc - 1)), 1, 'use an integer >= 1')
    this.timeoutMs = check('timeoutMs', opts.timeoutMs ?? 30_000, 0, 'use milliseconds >= 0 (0 = no limit)')
    this.maxRestarts = check('maxRestarts', opts.maxRestarts ?? 10, 0, 'use an integer >= 0')
    this.startTimeoutMs = check('startTimeoutMs', opts.startTimeoutMs ?? 10_000, 1, 'use milliseconds >= 1')
  }

  handler<R = unknown, E extends TidingsEvent = TidingsEvent>(name: string, hopts: PoolHandlerOptions<E> = {}) {
    if (typeof name !== 'string' || name.length === 0) throw new InvalidWorkerOptionError('handler name', name, 'use the name given to registerHandlers() in the worker')
    return (event: E, ctx?: PoolHandlerContext): Promise<R> => {
      const o: PoolCallOptions = {}
      if (ctx?.signal !== undefined) o.signal = ctx.signal
      if (ctx?.attempt !== undefined) o.attempt = ctx.attempt
      if (ctx?.subscription !== undefined) o.subscriptionId = ctx.subscription.id
      if (hopts.transfer !== undefined) o.transfer = hopts.transfer(event)
      return this.call<R>(name, event, o)
    }
  }

  call<R = unknown>(name: string, event: TidingsEvent, opts: PoolCallOptions = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.counters.calls++
      if (this.terminated) return this.failEarly(reject, new WorkerPoolTerminatedError(this.name, name))
      if (this.broken) return this.failEarly(reject, this.broken)
      const signal = opts.signal
      if (signal?.aborted) return this.failEarly(reject, abortError(signal, name))
      const call: Call = { id: this.nextId++, name, event, opts, resolve: resolve as (v: unknown) => void, reject, settled: false, cleanup: undefined }
      if (signal !== undefined) {
        const onAbort = () => this.abort(call, signal)
        signal.addEventListener('abort', onAbort, { once: true })
        call.cleanup = () => signal.removeEventListener('abort', onAbort)
      }
      this.queue.push(call)
      this.pump()
    })
  }

  stats(): WorkerPoolStats {
    return {
      size: this.size,
      workers: this.slots.length,
      busy: this.slots.filter((s) => s.busy !== undefined).length,
      queued: this.queue.length,
      ...this.counters,
    }
  }

  terminate(): void {
    if (this.terminated) return
    this.terminated = true
    clearTimeout(this.watchdog)
    for (const call of this.queue.splice(0)) this.settle(call, new WorkerPoolTerminatedError(this.name, call.name))
    for (const slot of [...this.slots]) {
      const call = slot.busy
      this.kill(slot)
      if (call) this.settle(call, new WorkerPoolTerminatedError(this.name, call.name))
    }
  }

  // ------------------------------------------------------------------ scheduling

  private pump(): void {
    if (this.broken) {
      for (const call of this.queue.splice(0)) this.settle(call, this.broken)
      for (const slot of [...this.slots]) if (slot.busy === undefined) this.kill(slot)
      return
    }
    while (this.queue.length > 0 && !this.terminated) {
      const slot = this.slots.find((s) => s.ready && s.busy === undefined && !s.dead)
      if (slot !== undefined) {
        this.run(slot, this.queue.shift()!)
        continue
      }
      // Calls go only to workers that said ready (handlers registered, life lock taken); start
      // another one while there is room and fewer are starting than calls are waiting.
      let starting = 0
      for (const s of this.slots) if (!s.ready) starting++
      if (this.slots.length >= this.size || starting >= this.queue.length) return
      if (this.spawn() === undefined) return // spawn failed: counted as a crash, pump ran again there
    }
  }

  private spawn(): Slot | undefined {
    let index = 0
    while (this.slots.some((s) => s.index === index)) index++
    let worker: Worker
    try {
      worker = this.factory()
    } catch (err) {
      this.counters.spawned++
      this.onDeath(undefined, `the factory threw: ${toError(err).message}`, 'crash', index)
      return undefined
    }
    this.counters.spawned++
    const { port1, port2 } = new MessageChannel()
    const remote = wrap<PoolApi>(port1)
    const lock = locks() !== undefined ? `tidings-pool:${this.lockPrefix}:${this.counters.spawned}` : undefined
    // Posted before anything else can reach the new worker: it serves the first connect only.
    worker.postMessage(connectMessage(port2, lock), [port2])
    const slot: Slot = {
      worker, port: port1, remote, run: remote.run, busy: undefined, timer: undefined, deadline: Infinity, ready: false, dead: false, lockWait: undefined, detach: () => {}, index,
    }
    const onError = (e: Event) => {
      e.preventDefault() // handled: it becomes the call's WorkerCrashedError
      // Chromium's ErrorEvent message already starts with "Uncaught": say it once.
      const reason = e instanceof ErrorEvent ? `uncaught ${(e.message || 'Error: unknown error').replace(/^Uncaught /, '')}` : 'the worker script failed to load or the worker died'
      this.onDeath(slot, reason, 'crash')
    }
    const onPortMessage = (e: MessageEvent) => {
      const kind = readPortMessage(e.data) // undefined: Comlink's traffic
      if (kind === 'ignored-connect') this.counters.ignoredConnects++
      else if (kind === 'malformed' || kind === 'ignored-malformed') this.counters.malformed++
      else if (kind === 'closing') this.onDeath(slot, 'the worker called self.close()', 'crash')
      else if (kind === 'ready' && !slot.ready) {
        slot.ready = true
        clearTimeout(slot.timer)
        slot.timer = undefined
        if (lock !== undefined) this.watchLife(slot, lock)
        if (this.down.delete(index)) emitSystemEvent(this.bus ?? {}, '$tidings.worker.restarted', () => ({ worker: this.workerName(index) }))
        this.pump()
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
      () => this.onDeath(slot, `it did not call registerHandlers() within ${this.startTimeoutMs} ms (startTimeoutMs)`, 'crash'),
      this.startTimeoutMs,
    )
    this.slots.push(slot)
    return slot
  }

  /** The worker holds `lock` while alive (registerHandlers takes it before saying ready), so our
   *  request is granted exactly when its context is gone: self.close() through any path, a crash
   *  of the worker thread, or our own terminate(). */
  private watchLife(slot: Slot, lock: string): void {
    const lm = locks()
    if (lm === undefined) return
    const wait = new AbortController()
    slot.lockWait = wait
    lm.request(lock, { signal: wait.signal }, () => {
      this.onDeath(slot, 'the worker went away (closed or destroyed)', 'crash')
    }).catch(() => {}) // aborted by kill(): we ended it ourselves
  }

  // One watchdog timer for the whole pool instead of a setTimeout/clearTimeout pair per call
  // (those cost more than the rest of a call's bookkeeping). Deadlines only grow, so it is
  // re-armed at most once per timeoutMs.
  private startTimer(slot: Slot): void {
    if (!(this.timeoutMs > 0 && Number.isFinite(this.timeoutMs))) return
    slot.deadline = performance.now() + this.timeoutMs
    if (slot.deadline < this.watchdogAt) this.armWatchdog(slot.deadline)
  }

  private armWatchdog(at: number): void {
    clearTimeout(this.watchdog)
    this.watchdogAt = at
    this.watchdog = setTimeout(() => this.checkDeadlines(), Math.max(0, at - performance.now()))
  }

  private checkDeadlines(): void {
    this.watchdog = undefined
    this.watchdogAt = Infinity
    const now = performance.now()
    let next = Infinity
    for (const slot of [...this.slots]) {
      if (slot.deadline <= now) this.onDeath(slot, 'timeout', 'timeout')
      else if (slot.deadline < next) next = slot.deadline
    }
    if (next !== Infinity && !this.terminated) this.armWatchdog(next)
  }

  private run(slot: Slot, call: Call): void {
    slot.busy = call
    this.startTimer(slot)
    const meta: CallMeta = { attempt: call.opts.attempt ?? 1 }
    if (call.opts.subscriptionId !== undefined) meta.subscriptionId = call.opts.subscriptionId
    const t = call.opts.transfer
    const event = t !== undefined && t.length > 0 ? comlinkTransfer(call.event, t) : call.event
    let pending: Promise<unknown>
    try {
      pending = slot.run(call.id, call.name, event, meta)
    } catch (err) {
      // postMessage refused the arguments (e.g. uncloneable data): the worker is fine.
      this.finish(slot, call, explain(call, toError(err)), false)
      return
    }
    pending.then(
      (value) => this.finish(slot, call, value, true),
      (err: unknown) => this.finish(slot, call, this.fromWorker(call, err), false),
    )
  }

  /** A call's rejection as the page sees it: the worker's error rebuilt with its fields and
   *  cause chain, a thrown non-Error as NonErrorThrownError, or a page-side failure (a
   *  DataCloneError naming the field, Comlink's own errors) as it is. */
  private fromWorker(call: Call, err: unknown): Error {
    const read = readThrown(err)
    if (read instanceof Error) return read
    if (read === 'foreign') return explain(call, toError(err))
    if (read !== 'malformed') return new NonErrorThrownError(call.name, read.text, read.value, read.uncloneable)
    this.counters.malformed++
    return new Error(`Worker handler "${call.name}" failed with an error in a form this page cannot read`)
  }

  private finish(slot: Slot, call: Call, value: unknown, ok: boolean): void {
    if (slot.busy !== call || slot.dead) return // the slot died first and already settled the call
    slot.deadline = Infinity
    slot.busy = undefined
    if (ok) this.settle(call, undefined, value)
    else this.settle(call, value as Error)
    this.pump()
  }

  private abort(call: Call, signal: AbortSignal): void {
    if (call.settled) return
    const queued = this.queue.indexOf(call)
    if (queued >= 0) this.queue.splice(queued, 1)
    else {
      // Running: tell the worker (ctx.signal there), free the caller now. The worker stays busy
      // until the handler returns or timeoutMs terminates it.
      const slot = this.slots.find((s) => s.busy === call)
      if (slot) slot.remote.abort(call.id, reasonText(signal)).catch(() => {})
    }
    this.settle(call, abortError(signal, call.name))
  }

  // ------------------------------------------------------------------ faults

  private onDeath(slot: Slot | undefined, reason: string, kind: 'crash' | 'timeout', index = slot?.index ?? 0): void {
    const call = slot?.busy
    if (slot !== undefined) {
      if (slot.dead) return
      this.kill(slot)
    }
    if (this.terminated) return
    this.down.add(index)
    emitSystemEvent(this.bus ?? {}, '$tidings.worker.crashed', () => ({
      worker: this.workerName(index),
      reason: kind === 'timeout' ? `a call ran past timeoutMs (${this.timeoutMs} ms)` : reason,
    }))
    if (kind === 'timeout') this.counters.timeouts++
    else this.counters.crashes++
    if (call !== undefined) {
      const err = kind === 'timeout'
        ? new TimeoutError(`Worker handler "${call.name}" (pool "${this.name}")`, this.timeoutMs)
        : new WorkerCrashedError(call.name, reason, this.name)
      this.settle(call, err)
    }
    this.counters.restarts++
    if (this.counters.restarts > this.maxRestarts) {
      this.broken = new WorkerRestartLimitError(this.name, this.maxRestarts, kind === 'timeout' ? `a call timed out after ${this.timeoutMs} ms` : reason)
    } else if (this.queue.length === 0 && this.slots.length < this.size) {
      // Replace the worker right away so the pool stays warm; a replacement that dies counts too.
      this.spawn()
    }
    this.pump()
  }

  /** How system events name the worker in place `index`. */
  private workerName(index: number): string {
    return `pool:${this.name}#${index}`
  }

  private kill(slot: Slot): void {
    slot.dead = true
    clearTimeout(slot.timer)
    slot.timer = undefined
    slot.deadline = Infinity
    slot.busy = undefined
    slot.detach()
    slot.lockWait?.abort()
    slot.worker.terminate()
    slot.port.close()
    const i = this.slots.indexOf(slot)
    if (i >= 0) this.slots.splice(i, 1)
  }

  private settle(call: Call, error: Error | undefined, value?: unknown): void {
    if (call.settled) return
    call.settled = true
    call.cleanup?.()
    if (error === undefined) {
      this.counters.completed++
      call.resolve(value)
    } else {
      this.counters.failed++
      call.reject(error)
    }
  }

  private failEarly(reject: (e: Error) => void, err: Error): void {
    this.counters.failed++
    reject(err)
  }
}

/** postMessage's DataCloneError names no field: say which one, like the event bridge does. */
function explain(call: Call, err: Error): Error {
  if (err.name !== 'DataCloneError') return err
  const e = call.event
  const bad = findUncloneable(e.data, 'data') ?? (e.metadata !== undefined ? findUncloneable(e.metadata, 'metadata') : undefined)
  return bad === undefined ? err : new UncloneableDataError(e.type, bad.path, bad.kind, e.id, 'the worker pool')
}

function locks(): LockManager | undefined {
  return typeof navigator !== 'undefined' ? navigator.locks : undefined
}

function abortError(signal: AbortSignal, name: string): Error {
  const r: unknown = signal.reason
  if (r instanceof Error && r.name !== 'AbortError') return r
  return new AbortedError(`worker handler "${name}" was aborted${r instanceof Error && r.message ? `: ${r.message}` : ''}`)
}

function reasonText(signal: AbortSignal): string {
  const r: unknown = signal.reason
  return r instanceof Error ? `${r.name}: ${r.message}` : String(r ?? 'aborted')
}

function check(option: string, v: number, min: number, rule: string): number {
  return checkNumber(v, option, (n) => !Number.isNaN(n) && n >= min && (option.endsWith('Ms') || Number.isInteger(n)), rule, workerOptionError)
}
