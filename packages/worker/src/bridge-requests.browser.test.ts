// bus.request() across the worker bridge, both ways, against a real module worker in Chromium:
// the reply, typed failures at once (no responder, the worker's bridge gone), timeouts and
// AbortSignal as on one bus, and no pending entry left behind.
import { AbortedError, createBus, NoResponderError, RemoteError, TimeoutError, type Bus } from '@tidings/core'
import { ResponderGoneError } from '@tidings/core/bridge'
import { filter, firstValueFrom } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { connectWorker, type WorkerBridge } from './index.js'
import { pending, served } from '../../../test-support/requests.js'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function startWorker(bus: Bus): WorkerBridge {
  const worker = new Worker(new URL('./test-fixtures/bridge-worker.ts', import.meta.url), { type: 'module' })
  const bridge = connectWorker(bus, worker, { share: ['t.**'] })
  cleanups.push(() => {
    bridge.close()
    worker.terminate()
  })
  return bridge
}


describe('bus.request() across a worker bridge', () => {
  it("the page's request reaches the worker's reply(); values, correlation and order kept; plain subscribers do not see it cross", async () => {
    const bus = createBus({ origin: 'page' })
    const bridge = startWorker(bus)
    await bridge.ready
    await served(bus, 't.calc.add', { a: 0, b: 0 })
    const answers = await Promise.all([1, 2, 3].map((n) => bus.request('t.calc.add', { a: n, b: 10 }, { correlationId: `c${n}` })))
    expect(answers).toEqual([1, 2, 3].map((n) => ({ sum: n + 10, origin: bridge.peerOrigin, correlationId: `c${n}` })))
    expect(pending(bus)).toBe(0)
  })

  it('a request made right after `await bridge.ready` reaches the responders the worker registered at startup', async () => {
    // Each round is a fresh worker: `ready` used to resolve on the worker's hello, before its
    // reply patterns arrived, and this request failed with NoResponderError every time.
    for (let round = 0; round < 3; round++) {
      const bus = createBus()
      const bridge = startWorker(bus)
      await bridge.ready
      expect(await bus.request('t.calc.add', { a: round, b: 2 })).toMatchObject({ sum: round + 2, origin: bridge.peerOrigin })
    }
  })

  it('fails at once with NoResponderError when no context serves the type, and reports a remote failure as RemoteError', async () => {
    const bus = createBus()
    const bridge = startWorker(bus)
    await bridge.ready
    await served(bus, 't.calc.add', { a: 1, b: 1 })
    await expect(bus.request('t.calc.nobody', 1, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(NoResponderError)
    const err = await bus.request('t.calc.fail', 1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect([(err as RemoteError).remoteName, (err as RemoteError).remoteMessage]).toEqual(['TypeError', 'worker says no'])
    expect(pending(bus)).toBe(0)
  })

  it('a local reply() answers alone: the worker is not asked', async () => {
    const bus = createBus()
    const bridge = startWorker(bus)
    await bridge.ready
    await served(bus, 't.calc.add', { a: 1, b: 1 })
    const local = bus.reply('t.calc.add', () => 'local')
    expect(await bus.request('t.calc.add', { a: 1, b: 2 })).toBe('local')
    local.unsubscribe()
    expect(await bus.request('t.calc.add', { a: 1, b: 2 })).toMatchObject({ sum: 3 })
  })

  it('rejects with ResponderGoneError when the worker side closes mid-request, without waiting for the timeout', async () => {
    const bus = createBus()
    const bridge = startWorker(bus)
    await bridge.ready
    await served(bus, 't.calc.add', { a: 1, b: 1 })
    const slow = bus.request('t.calc.slow', 1, { timeoutMs: 60_000 }).catch((e: unknown) => e)
    const started = firstValueFrom(bus.on('t.calc.slow-started.result'))
    bus.publish('t.calc.slow-started')
    expect((await started).data).toBe(1) // the worker runs it
    bus.publish('t.bridge.close')
    const err = await slow
    expect(err).toBeInstanceOf(ResponderGoneError)
    expect((err as ResponderGoneError).type).toBe('t.calc.slow')
    expect(pending(bus)).toBe(0)
    // Once the bye has arrived too, nothing serves the type any more.
    await firstValueFrom(bridge.status$.pipe(filter((s) => s === 'closed')))
    await expect(bus.request('t.calc.add', { a: 1, b: 1 })).rejects.toBeInstanceOf(NoResponderError)
  })

  it('timeouts and AbortSignal work as on one bus, and leave nothing pending', async () => {
    const bus = createBus()
    const bridge = startWorker(bus)
    await bridge.ready
    await served(bus, 't.calc.add', { a: 1, b: 1 })
    const timedOut = await bus.request('t.calc.slow', 1, { timeoutMs: 100 }).catch((e: unknown) => e)
    expect(timedOut).toBeInstanceOf(TimeoutError)
    const ctl = new AbortController()
    const aborted = bus.request('t.calc.slow', 2, { timeoutMs: 60_000, signal: ctl.signal }).catch((e: unknown) => e)
    ctl.abort()
    expect(await aborted).toBeInstanceOf(AbortedError)
    expect(pending(bus)).toBe(0)
    // The bridge still carries requests afterwards.
    expect(await bus.request('t.calc.add', { a: 2, b: 2 })).toMatchObject({ sum: 4 })
  })

  it("the worker's request reaches the page's reply()", async () => {
    const bus = createBus()
    bus.reply('t.page.echo', (e) => ({ echoed: e.data }))
    const bridge = startWorker(bus)
    await bridge.ready
    for (let i = 0; i < 100; i++) {
      const result = firstValueFrom(bus.on('t.ask-page.result'))
      bus.publish('t.ask-page', { n: i })
      const r = (await result).data as { ok: boolean; value?: unknown; name?: string }
      if (r.ok) {
        expect(r.value).toEqual({ echoed: { n: i } })
        return
      }
      expect(r.name).toBe('NoResponderError') // the page's patterns are still on their way
      await new Promise((res) => setTimeout(res, 10))
    }
    throw new Error("the worker never reached the page's responder")
  })
})
