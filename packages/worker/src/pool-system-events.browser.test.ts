// createWorkerPool({ bus }): worker crashes and restarts as system events, against real module
// workers in Chromium; nothing is built while no `$` subscriber listens.
import { afterEach, describe, expect, it } from 'vitest'
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import { createWorkerPool, TimeoutError, WorkerCrashedError, type WorkerPool, type WorkerPoolOptions } from './index.js'
import { rejection } from '../../../test-support/promises.js'

const pools: WorkerPool[] = []
afterEach(() => {
  for (const p of pools.splice(0)) p.terminate()
})

function makePool(bus: Bus, opts: WorkerPoolOptions = {}): WorkerPool {
  const pool = createWorkerPool(() => new Worker(new URL('./test-fixtures/pool-worker.ts', import.meta.url), { type: 'module' }), {
    size: 1,
    timeoutMs: 5000,
    bus,
    ...opts,
  })
  pools.push(pool)
  return pool
}

let n = 0
const ev = (type: string, data: unknown): TidingsEvent => ({ id: `page:${++n}`, type, timestamp: Date.now(), version: 1, data, origin: 'page', seq: n })

/** Counts the system events the bus builds (its systemEvent hook is called only when built). */
function countBuilt(bus: Bus): string[] {
  const built: string[] = []
  const host = bus as unknown as { systemEvent(type: string, data: unknown): void }
  const original = host.systemEvent.bind(bus)
  host.systemEvent = (type, data) => {
    if (type.startsWith('$tidings.worker.')) built.push(type)
    original(type, data)
  }
  return built
}

describe('createWorkerPool({ bus }): system events', () => {
  it('a crash emits $tidings.worker.crashed, then the replacement $tidings.worker.restarted, naming pool:<name>#<index>', async () => {
    const bus = createBus()
    const seen: Array<[string, unknown]> = []
    bus.subscribe('$tidings.worker.*', (e) => void seen.push([e.type, e.data]))
    const pool = makePool(bus, { name: 'img', timeoutMs: 1000 })
    expect(await rejection(pool.call('exitSelf', ev('x.y', {})))).toBeInstanceOf(WorkerCrashedError)
    expect(await pool.call('double', ev('x.y', { n: 21 }))).toBe(42) // the replacement is ready
    await expect.poll(() => seen.length).toBe(2)
    expect(seen[0]![0]).toBe('$tidings.worker.crashed')
    expect(seen[0]![1]).toEqual({ worker: 'pool:img#0', reason: expect.stringContaining('self.close()') as unknown })
    expect(seen[1]).toEqual(['$tidings.worker.restarted', { worker: 'pool:img#0' }])

    // A hang past timeoutMs is a crash too (the worker is terminated), its reason says so.
    expect(await rejection(pool.call('hang', ev('x.y', {})))).toBeInstanceOf(TimeoutError)
    expect(await pool.call('double', ev('x.y', { n: 1 }))).toBe(2)
    await expect.poll(() => seen.length).toBe(4)
    expect(seen.slice(2)).toEqual([
      ['$tidings.worker.crashed', { worker: 'pool:img#0', reason: 'a call ran past timeoutMs (1000 ms)' }],
      ['$tidings.worker.restarted', { worker: 'pool:img#0' }],
    ])
  })

  it('builds nothing while no $ subscriber listens; a later $tidings.** subscriber gets the next crash and restart', async () => {
    const bus = createBus()
    const built = countBuilt(bus)
    const plain: string[] = []
    bus.subscribe('**', (e) => void plain.push(e.type))
    const pool = makePool(bus, { name: 'quiet' })
    expect(await rejection(pool.call('exitSelf', ev('x.y', {})))).toBeInstanceOf(WorkerCrashedError)
    expect(await pool.call('double', ev('x.y', { n: 2 }))).toBe(4)
    expect(pool.stats()).toMatchObject({ crashes: 1, restarts: 1 })
    expect(built).toEqual([])
    expect(plain).toEqual([])

    const seen: string[] = []
    bus.subscribe('$tidings.**', (e) => {
      if (e.type.startsWith('$tidings.worker.')) seen.push(e.type)
    })
    expect(await rejection(pool.call('exitSelf', ev('x.y', {})))).toBeInstanceOf(WorkerCrashedError)
    expect(await pool.call('double', ev('x.y', { n: 3 }))).toBe(6)
    await expect.poll(() => seen.length).toBe(2)
    expect(seen).toEqual(['$tidings.worker.crashed', '$tidings.worker.restarted'])
    expect(built).toEqual(['$tidings.worker.crashed', '$tidings.worker.restarted'])
    expect(plain).toEqual([])
  })
})
