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

/** Structured clone calls getters: this event's clone takes at least 60 ms (a stand-in for a slow
 *  1 MB clone on a loaded machine). The size estimate reads it too, inside publish. */
function slowToClone(i: number): { i: number; readonly big: string } {
  return {
    i,
    get big(): string {
      const until = performance.now() + 60
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

  it('gives a slow clone a task of its own rather than lengthen a task that already posted, all in order', async () => {
    const bus = createBus()
    const worker = new Worker(new URL('./test-fixtures/bridge-worker.ts', import.meta.url), { type: 'module' })
    // Batches posted per task: a microtask queued at a task's first post marks its end.
    const perTask: number[] = []
    let open = false
    const post = worker.postMessage.bind(worker) as (m: unknown, t: Transferable[]) => void
    ;(worker as unknown as { postMessage: typeof post }).postMessage = (m, t) => {
      post(m, t)
      if ((m as { kind?: string }).kind !== 'events') return
      if (!open) {
        perTask.push(0)
        open = true
        queueMicrotask(() => (open = false))
      }
      perTask[perTask.length - 1]!++
    }
    const bridge = connectWorker(bus, worker, { share: ['t.**'], maxBatchBytes: 64 * 1024 })
    cleanups.push(() => {
      bridge.close()
      worker.terminate()
    })
    await bridge.ready
    // A slow clone (60 ms), a quick 30 KB event, another slow clone: the first teaches the cost;
    // in the next task the quick one goes, and the second slow one waits for a task of its own.
    bus.publish('t.bulk', slowToClone(0))
    bus.publish('t.bulk', { i: 1, pad: 'q'.repeat(30_000) })
    bus.publish('t.bulk', slowToClone(2))
    expect(await bulkResult(bus)).toEqual({ count: 3, ordered: true, first: 0, last: 2 })
    expect(perTask.slice(0, 3)).toEqual([1, 1, 1])
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
