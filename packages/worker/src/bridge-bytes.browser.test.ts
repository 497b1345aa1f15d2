// Batches bounded by bytes, a large burst spread over tasks, and the clone of the post as the one
// check of what can cross: against a real module worker in Chromium.
import { createBus, type Bus } from '@tidings/core'
import { firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { connectWorker, UncloneableDataError, type ConnectWorkerOptions, type WorkerBridge } from './index.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function startWorker(bus: Bus, opts: ConnectWorkerOptions = {}): WorkerBridge {
  const worker = new Worker(new URL('./test-fixtures/bridge-worker.ts', import.meta.url), { type: 'module' })
  const bridge = connectWorker(bus, worker, { share: ['t.**'], ...opts })
  cleanups.push(() => {
    bridge.close()
    worker.terminate()
  })
  return bridge
}

/** What the fixture worker saw of the t.bulk events since the last report. */
async function bulkResult(bus: Bus): Promise<unknown> {
  const result = firstValueFrom(bus.on('t.bulk.result'))
  bus.publish('t.bulk.done')
  return (await result).data
}

/** Structured clone calls getters: this event's clone takes at least 5 ms (a stand-in for a slow
 *  1 MB clone), so after one post a second would end past the task's 8 ms. */
function slowToClone(i: number): { i: number; readonly big: string } {
  return {
    i,
    get big(): string {
      const until = performance.now() + 5
      while (performance.now() < until) {
        // busy
      }
      return 'b'.repeat(100_000)
    },
  }
}

describe('worker batches bounded by bytes', () => {
  it('splits a burst into several batches by estimated bytes, in order, none lost', async () => {
    const bus = createBus()
    const bridge = startWorker(bus, { maxBatchBytes: 100_000 })
    await bridge.ready
    const pad = 'x'.repeat(30_000)
    for (let i = 0; i < 40; i++) bus.publish('t.bulk', { i, pad })
    expect(await bulkResult(bus)).toEqual({ count: 40, ordered: true, first: 0, last: 39 })
    const s = bridge.stats()
    expect(s.sent).toBe(41)
    // ~30 KB each under a 100 KB bound: three per batch, so at least 14 batches, never one.
    expect(s.batches).toBeGreaterThanOrEqual(14)
    expect(s.batches).toBeLessThanOrEqual(41)
  })

  it('posts a burst of large events across tasks: one batch in the first task, the rest later, in order', async () => {
    const bus = createBus()
    const bridge = startWorker(bus, { maxBatchBytes: 10_000 })
    await bridge.ready
    const before = bridge.stats().batches
    for (let i = 0; i < 20; i++) bus.publish('t.bulk', { i, big: String(i).repeat(30_000 / String(i).length) })
    expect(bridge.stats().batches - before).toBe(0) // nothing serialized inside publish
    await Promise.resolve() // the outbox's microtask ran first: it posted a few batches and yielded
    const first = bridge.stats().batches - before
    expect(first).toBeGreaterThanOrEqual(1)
    expect(first).toBeLessThanOrEqual(3) // 8 bounds (80 KB) per task at most: three 30 KB events
    // Events published while the rest waits go after it.
    bus.publish('t.bulk', { i: 20 })
    expect(await bulkResult(bus)).toEqual({ count: 21, ordered: true, first: 0, last: 20 })
    expect(bridge.stats().batches - before).toBeGreaterThanOrEqual(21)
  })

  it('holds one slow clone per task: a large batch that would overrun the task waits for the next, all in order', async () => {
    const bus = createBus()
    const bridge = startWorker(bus, { maxBatchBytes: 64 * 1024 })
    await bridge.ready
    const before = bridge.stats().batches
    for (let i = 0; i < 4; i++) bus.publish('t.bulk', slowToClone(i))
    await Promise.resolve() // the outbox's microtask ran first
    expect(bridge.stats().batches - before).toBe(1)
    expect(await bulkResult(bus)).toEqual({ count: 4, ordered: true, first: 0, last: 3 })
    expect(bridge.stats().batches - before).toBeGreaterThanOrEqual(5)
  })

  it('a maxBatchBytes that is not a positive integer is a typed error naming the option', () => {
    const bus = createBus()
    const { port1 } = new MessageChannel()
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => connectWorker(bus, port1, { share: 't.**', maxBatchBytes: bad })).toThrowError(expect.objectContaining({ name: 'InvalidWorkerOptionError', message: expect.stringContaining('maxBatchBytes') }))
  })
})

describe('the clone of the post is the one check', () => {
  it('isolates uncloneable events among clonable ones in one batch: each fails alone, typed; the rest cross in order', async () => {
    const bus = createBus()
    const bridge = startWorker(bus)
    await bridge.ready
    const reported: Error[] = []
    bridge.errors$.subscribe((e) => reported.push(e))
    const ids: string[] = []
    for (let i = 0; i < 100; i++) {
      const data = i === 30 ? { i, fn: () => i } : i === 70 ? { i, m: new Map([['k', Symbol('s')]]) } : { i }
      ids.push(bus.publish('t.bulk', data).id)
    }
    expect(await bulkResult(bus)).toEqual({ count: 98, ordered: true, first: 0, last: 99 })
    expect(reported).toHaveLength(2)
    expect(reported.every((e) => e instanceof UncloneableDataError)).toBe(true)
    const [a, b] = reported as UncloneableDataError[]
    expect([a!.eventId, a!.path, a!.valueKind]).toEqual([ids[30], 'data.fn', 'function'])
    expect([b!.eventId, b!.path, b!.valueKind]).toEqual([ids[70], 'data.m.k', 'symbol'])
    expect(bridge.stats().uncloneable).toBe(2)
    expect(bridge.stats().sent).toBe(99) // 98 t.bulk + t.bulk.done
  })
})
