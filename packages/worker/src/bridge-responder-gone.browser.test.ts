// A worker that dies (or stops answering) without a bye, mid-request: bus.request() across the
// bridge rejects with ResponderGoneError as soon as liveness finds the worker gone, never at the
// request's own timeout, and the worker's reply patterns are dropped meanwhile. Real module
// workers in Chromium.
import { createBus, NoResponderError, type Bus } from '@tidings/core'
import { ResponderGoneError } from '@tidings/core/bridge'
import { filter, firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { connectWorker, type WorkerBridge } from './index.js'
import { pending, served } from '../../../test-support/requests.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function startWorker(bus: Bus): { worker: Worker; bridge: WorkerBridge } {
  const worker = new Worker(new URL('./test-fixtures/bridge-worker.ts', import.meta.url), { type: 'module' })
  const bridge = connectWorker(bus, worker, { share: ['t.**'], livenessTimeoutMs: 300 })
  cleanups.push(() => {
    bridge.close()
    worker.terminate()
  })
  return { worker, bridge }
}

/** Starts a request the worker never answers (its handler runs: checked) and records, in `order`,
 *  when it settles and when a deadline far below its 30 s timeout passes. */
async function hangingRequest(bus: Bus, bridge: WorkerBridge, order: string[]): Promise<{ settled: Promise<unknown>; deadline: Promise<void> }> {
  const settled = bus.request('t.calc.slow', 1, { timeoutMs: 30_000 }).then(
    (v) => (order.push('answered'), v),
    (e: unknown) => (order.push('rejected'), e),
  )
  const started = firstValueFrom(bus.on('t.calc.slow-started.result'))
  bus.publish('t.calc.slow-started')
  expect((await started).data).toBeGreaterThan(0) // the worker's responder holds it
  // Every batch acked: from here on no event traffic would reveal a dead worker, only the
  // bridge's watch over the pending request can.
  await expect.poll(() => bridge.stats().unacknowledged).toBe(0)
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(() => (order.push('deadline'), resolve()), 10_000)))
  cleanups.push(() => clearTimeout(timer))
  return { settled, deadline }
}

describe('a worker responder that goes away without a bye', () => {
  it('worker.terminate() mid-request: ResponderGoneError naming the worker, before the deadline; the next request: NoResponderError at once', async () => {
    const bus = createBus()
    const { worker, bridge } = startWorker(bus)
    const system: Array<[string, unknown]> = []
    bus.subscribe('$tidings.worker.*', (e) => void system.push([e.type, e.data]))
    await bridge.ready
    await served(bus, 't.calc.add', { a: 1, b: 1 })
    const order: string[] = []
    const { settled, deadline } = await hangingRequest(bus, bridge, order)
    worker.terminate() // no bye, no close event: only liveness can tell
    const err = await Promise.race([settled, deadline])
    expect(order).toEqual(['rejected'])
    expect(err).toBeInstanceOf(ResponderGoneError)
    expect((err as ResponderGoneError).type).toBe('t.calc.slow')
    expect((err as ResponderGoneError).responder).toBe(bridge.peerOrigin)
    expect((err as Error).message).toContain('worker "worker" stopped answering')
    expect(pending(bus)).toBe(0)
    expect(await firstValueFrom(bridge.status$)).toBe('unresponsive')
    expect(system.map(([t, d]) => [t, (d as { worker: string }).worker])).toEqual([['$tidings.worker.crashed', 'worker']])
    // Its patterns are gone: the next request fails at once, not at its timeout.
    const next = bus.request('t.calc.add', { a: 1, b: 2 }, { timeoutMs: 30_000 }).then(
      () => order.push('answered'),
      (e: unknown) => (order.push(e instanceof NoResponderError ? 'no responder' : `other: ${String(e)}`), e),
    )
    await Promise.race([next, deadline])
    expect(order).toEqual(['rejected', 'no responder'])
    expect(pending(bus)).toBe(0)
  })

  it('a worker stuck past livenessTimeoutMs: the request fails, the worker serves nothing meanwhile, and serves again once it answers', async () => {
    const bus = createBus()
    const { bridge } = startWorker(bus)
    await bridge.ready
    await served(bus, 't.calc.add', { a: 1, b: 1 })
    const order: string[] = []
    const { settled, deadline } = await hangingRequest(bus, bridge, order)
    const unresponsive = firstValueFrom(bridge.status$.pipe(filter((s) => s === 'unresponsive')))
    bus.publish('t.block', 1500) // the worker's thread is busy for 1.5 s: no ack
    await unresponsive
    const err = await Promise.race([settled, deadline])
    expect(order).toEqual(['rejected'])
    expect(err).toBeInstanceOf(ResponderGoneError)
    await expect(bus.request('t.calc.add', { a: 1, b: 1 }, { timeoutMs: 30_000 })).rejects.toBeInstanceOf(NoResponderError)
    // The worker acks again: status ready, and its patterns are back without a new announcement.
    await firstValueFrom(bridge.status$.pipe(filter((s) => s === 'ready')))
    expect(await bus.request('t.calc.add', { a: 2, b: 3 }, { timeoutMs: 30_000 })).toMatchObject({ sum: 5 })
    expect(pending(bus)).toBe(0)
  })

  it("the Worker's error event is reported on errors$; a worker that lives on keeps answering", async () => {
    const bus = createBus()
    const { worker, bridge } = startWorker(bus)
    worker.addEventListener('error', (e) => e.preventDefault()) // expected: keep it out of the console
    await bridge.ready
    await served(bus, 't.calc.add', { a: 1, b: 1 })
    const reported = firstValueFrom(bridge.errors$)
    bus.publish('t.throw-uncaught')
    expect((await reported).message).toMatch(/^worker bridge "worker": the worker reported an error: .*uncaught in the worker/)
    // The ping sent on the error is acked: the bridge stays ready and requests still cross.
    expect(await bus.request('t.calc.add', { a: 4, b: 4 }, { timeoutMs: 30_000 })).toMatchObject({ sum: 8 })
    expect(bridge.stats()).toMatchObject({ unresponsive: 0 })
    expect(await firstValueFrom(bridge.status$)).toBe('ready')
  })
})
