// The event bridge under faults and hostile input, in real Chromium: user data that throws when
// read, a forged bye, a worker that dies under the bridge.
import { createBus, type Bus } from '@tidings/core'
import { firstValueFrom, filter } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { connectWorker, UncloneableDataError, type WorkerBridge, type WorkerBridgeStatus } from './index.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function startWorker(bus: Bus, opts: { livenessTimeoutMs?: number; maxPending?: number } = {}): { worker: Worker; bridge: WorkerBridge } {
  const worker = new Worker(new URL('./test-fixtures/bridge-worker.ts', import.meta.url), { type: 'module' })
  const bridge = connectWorker(bus, worker, { share: ['t.**'], ...opts })
  cleanups.push(() => {
    bridge.close()
    worker.terminate()
  })
  return { worker, bridge }
}

/** Collects uncaught errors and unhandled rejections on window for the test's duration. */
function uncaught(): string[] {
  const seen: string[] = []
  const onError = (e: ErrorEvent) => {
    seen.push(`error: ${e.message}`)
    e.preventDefault()
  }
  const onRejection = (e: PromiseRejectionEvent) => {
    seen.push(`rejection: ${String(e.reason)}`)
    e.preventDefault()
  }
  addEventListener('error', onError)
  addEventListener('unhandledrejection', onRejection)
  cleanups.push(() => {
    removeEventListener('error', onError)
    removeEventListener('unhandledrejection', onRejection)
  })
  return seen
}

const statsOf = async (bus: Bus) => {
  const result = firstValueFrom(bus.on('t.stats.result'))
  bus.publish('t.stats')
  return (await result).data as { bridge: Record<string, number>; seenAll: number }
}

describe('user data that throws when read', () => {
  it('is refused for that event alone, named, counted and reported; neighbours cross; nothing escapes', async () => {
    const errors = uncaught()
    const bus = createBus()
    const { bridge } = startWorker(bus)
    await bridge.ready
    const reported: Error[] = []
    bridge.errors$.subscribe((e) => reported.push(e))
    const throwing = {
      get secret(): string {
        throw new Error('getter boom')
      },
    }
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    const delivered: unknown[] = []
    bus.subscribe('t.chain', (e) => delivered.push(e.data))
    bus.publish('t.chain', 'before')
    bus.publish('t.chain', throwing)
    bus.publish('t.chain', { nested: { list: [1, revoked.proxy] } })
    bus.publish('t.chain', 'after')
    const chain = firstValueFrom(bus.on('t.chain.result'))
    bus.publish('t.chain.report')
    expect((await chain).data).toEqual(['before', 'after'])
    expect(delivered).toHaveLength(4) // delivered locally either way
    expect(reported.map((e) => e.name)).toEqual(['UncloneableDataError', 'UncloneableDataError'])
    expect(reported.every((e) => e instanceof UncloneableDataError)).toBe(true)
    expect(reported[0]!.message).toContain('getter boom')
    expect(reported[1]!.message).toContain('t.chain')
    expect(bridge.stats().uncloneable).toBe(2)
    await new Promise((r) => setTimeout(r, 50))
    expect(errors).toEqual([])
  })
})

describe('control messages', () => {
  it('a bye forged by a page script does not stop the worker side', async () => {
    const bus = createBus()
    const { worker, bridge } = startWorker(bus)
    await bridge.ready
    // A script that holds the Worker object posts a bye with a guessed nonce, and a second hello.
    worker.postMessage({ tag: 'tidings.worker', v: 1, kind: 'bye', nonce: 'guessed' }, [])
    worker.postMessage({ tag: 'tidings.worker', v: 1, kind: 'hello', origin: 'intruder', incarnation: 'x', nonce: 'other', ack: true }, [])
    const pong = firstValueFrom(bus.on('t.pong'))
    bus.publish('t.ping', 'still there?')
    expect(((await pong).data as { data: unknown }).data).toBe('still there?')
    const s = await statsOf(bus)
    expect(s.bridge['forged']).toBe(2)
    expect(bridge.closed).toBe(false)
  })
})

describe('liveness', () => {
  it('a terminated worker is reported unresponsive, and sends stop counting into the void', async () => {
    const bus = createBus()
    const { worker, bridge } = startWorker(bus, { livenessTimeoutMs: 150, maxPending: 100 })
    const statuses: WorkerBridgeStatus[] = []
    bridge.status$.subscribe((s) => statuses.push(s))
    await bridge.ready
    const pong = firstValueFrom(bus.on('t.pong'))
    bus.publish('t.ping', 1)
    await pong
    await expect.poll(() => bridge.stats().unacknowledged).toBe(0)
    worker.terminate()
    bus.publish('t.bulk', { i: 0 }) // goes out, never acknowledged
    const unresponsive = firstValueFrom(bridge.status$.pipe(filter((s) => s === 'unresponsive')))
    await unresponsive
    const sentAtDetection = bridge.stats().sent
    for (let i = 1; i <= 1000; i++) bus.publish('t.bulk', { i })
    await new Promise((r) => setTimeout(r, 20))
    const s = bridge.stats()
    expect(s.sent).toBe(sentAtDetection) // nothing more posted into the dead worker
    expect(s.unresponsive).toBe(1)
    expect(s.unacknowledged).toBe(1)
    expect(s.dropped).toBe(1000 - 100) // held up to maxPending, the rest dropped and counted
    expect(statuses).toEqual(['connecting', 'ready', 'unresponsive'])
  })

  it('a peer that stops acknowledging is unresponsive; its first ack makes it live, and what waited follows in order', async () => {
    const a = createBus()
    const { port1, port2 } = new MessageChannel()
    const ab = connectWorker(a, port1, { share: '**', livenessTimeoutMs: 100 })
    cleanups.push(() => ab.close())
    const statuses: WorkerBridgeStatus[] = []
    ab.status$.subscribe((s) => statuses.push(s))
    // A raw peer that answers the hello, then withholds its acks.
    const batches: Array<{ types: string[] }> = []
    port2.addEventListener('message', (e: MessageEvent) => {
      const m = e.data as { kind: string; ack?: boolean; batch?: { tt: string[]; tx: number[] } }
      if (m.kind === 'hello' && !m.ack) port2.postMessage({ tag: 'tidings.worker', v: 1, kind: 'hello', origin: 'peer', incarnation: 'p1', nonce: 'pn', ack: true }, [])
      if (m.kind === 'events') batches.push({ types: m.batch!.tx.map((t) => m.batch!.tt[t]!) })
    })
    port2.start()
    await ab.ready
    a.publish('x.one', 1)
    await firstValueFrom(ab.status$.pipe(filter((s) => s === 'unresponsive')))
    a.publish('x.two', 2)
    a.publish('x.three', 3)
    await new Promise((r) => setTimeout(r, 30))
    expect(batches).toEqual([{ types: ['x.one'] }]) // the others wait
    port2.postMessage({ tag: 'tidings.worker', v: 1, kind: 'ack', batches: 1 }, [])
    await expect.poll(() => batches.length).toBe(2)
    expect(batches[1]).toEqual({ types: ['x.two', 'x.three'] })
    expect(statuses).toEqual(['connecting', 'ready', 'unresponsive', 'ready'])
    expect(ab.stats()).toMatchObject({ sent: 3, unresponsive: 1, dropped: 0 })
  })
})
