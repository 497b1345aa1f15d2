// The event bridge against real module workers, a SharedWorker and MessageChannels in Chromium.
import { afterEach, describe, expect, it } from 'vitest'
import { firstValueFrom, filter, take, toArray } from 'rxjs'
import { createBus, InvalidTopicError, type Bus, type TidingsEvent } from '@tidings/core'
import { assertCloneable, connectWorker, findUncloneable, InvalidWorkerTargetError, UncloneableDataError, type WorkerBridge } from './index.js'

const cleanups: (() => void)[] = []
const callback = () => 1
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

function startWorker(bus: Bus, share: string[] = ['t.**']): { worker: Worker; bridge: WorkerBridge } {
  const worker = new Worker(new URL('./test-fixtures/bridge-worker.ts', import.meta.url), { type: 'module' })
  const bridge = connectWorker(bus, worker, { share })
  cleanups.push(() => {
    bridge.close()
    worker.terminate()
  })
  return { worker, bridge }
}

function next(bus: Bus, type: string): Promise<TidingsEvent> {
  return firstValueFrom(bus.on(type))
}

describe('connectWorker + workerBus (dedicated module worker)', () => {
  it('carries envelopes both ways intact: id, origin, seq, correlation', async () => {
    const bus = createBus({ origin: 'page-1' })
    const { bridge } = startWorker(bus)
    await bridge.ready
    expect(bridge.peerOrigin).toMatch(/^worker-/)
    const pong = next(bus, 't.pong')
    const receipt = bus.publish('t.ping', { hello: 'worker' }, { correlationId: 'corr-1' })
    const e = await pong
    // seq is the one in the id (the bus's local system events may have used earlier seqs).
    expect(e.data).toEqual({ id: receipt.id, origin: 'page-1', seq: Number(receipt.id.slice('page-1:'.length)), correlationId: 'corr-1', data: { hello: 'worker' }, bridgedBy: 'page' })
    // The reply keeps the correlation and names its cause; it arrived over this bridge.
    expect(e.correlationId).toBe('corr-1')
    expect(e.causationId).toBe(receipt.id)
    expect(e.origin).toBe(bridge.peerOrigin)
    expect(bus.bridgedBy(e)).toBe('worker')
  })

  it('keeps order over 20k events and batches them', async () => {
    const bus = createBus()
    const { bridge } = startWorker(bus)
    await bridge.ready
    const result = next(bus, 't.bulk.result')
    for (let i = 0; i < 20_000; i++) bus.publish('t.bulk', { i })
    bus.publish('t.bulk.done')
    expect((await result).data).toEqual({ count: 20_000, ordered: true, first: 0, last: 19_999 })
    const s = bridge.stats()
    expect(s.sent).toBe(20_001)
    expect(s.batches).toBeGreaterThanOrEqual(20)
    expect(s.batches).toBeLessThan(200) // 1024-event batches, not one message per event
  })

  it("shows in bus.inspect() as 'bridge' inspections, out and in", async () => {
    const bus = createBus()
    const seen: string[] = []
    bus.inspect((i) => {
      if (i.kind === 'bridge') seen.push(`${i.direction}:${i.bridge}:${i.event.type}`)
    })
    const { bridge } = startWorker(bus)
    await bridge.ready
    const pong = next(bus, 't.pong')
    bus.publish('t.ping', 1)
    bus.publish('local.only', 2)
    await pong
    expect(seen).toEqual(['out:worker:t.ping', 'in:worker:t.pong'])
  })

  it('keeps per-origin order when a handler subscribed before the bridge reacts synchronously', async () => {
    const bus = createBus()
    // Subscribed first: it runs, and its nested publishes reach the bridge, before the bridge sees
    // the event that caused them.
    bus.subscribe('t.chain', (e, ctx) => {
      const n = e.data as number
      if (n < 3) ctx.publish('t.chain', n + 1)
    })
    const { bridge } = startWorker(bus)
    await bridge.ready
    const result = next(bus, 't.chain.result')
    bus.publish('t.chain', 0)
    bus.publish('t.chain', 10)
    bus.publish('t.chain.report')
    expect((await result).data).toEqual([0, 1, 2, 3, 10])
    expect(bus.subscriptions().filter((s) => s.kind === 'handler')).toHaveLength(1) // the bridge is not a handler
  })

  it('buffers events published before the worker is up, in order', async () => {
    const bus = createBus()
    const { bridge } = startWorker(bus)
    const result = next(bus, 't.bulk.result')
    for (let i = 0; i < 500; i++) bus.publish('t.bulk', { i })
    bus.publish('t.bulk.done')
    await bridge.ready
    expect((await result).data).toEqual({ count: 500, ordered: true, first: 0, last: 499 })
  })

  it('never echoes: each side sees every event exactly once', async () => {
    const bus = createBus()
    const { bridge } = startWorker(bus)
    await bridge.ready
    const seen: TidingsEvent[] = []
    bus.on('**').subscribe((e) => seen.push(e))
    const stats = next(bus, 't.stats.result')
    for (let i = 0; i < 10; i++) bus.publish('t.noise', { i })
    bus.publish('t.stats')
    const w = (await stats).data as { seenAll: number; bridge: { echoes: number; received: number; sent: number } }
    // When it answered, the worker had seen the 10 noise events and t.stats, once each.
    expect(w.seenAll).toBe(11)
    expect(w.bridge.received).toBe(11)
    expect(w.bridge.echoes).toBe(0)
    // The page saw its own 11 and the worker's answer once; nothing came back.
    expect(seen.map((e) => e.type)).toEqual([...Array(10).fill('t.noise'), 't.stats', 't.stats.result'])
    expect(bridge.stats().echoes).toBe(0)
    expect(bridge.stats().received).toBe(1)
  })

  it('only shares matching types, and never local events', async () => {
    const bus = createBus()
    const { bridge } = startWorker(bus)
    await bridge.ready
    const got: TidingsEvent[] = []
    bus.on('**').subscribe((e) => got.push(e))
    const last = firstValueFrom(bus.on('t.from-worker').pipe(filter((e) => (e.data as { n: number }).n === 3)))
    bus.publish('t.emit')
    await last
    expect(got.map((e) => [e.type, e.data])).toEqual([
      ['t.emit', undefined],
      ['t.from-worker', { n: 1 }],
      ['t.from-worker', { n: 3 }],
    ])
    expect(got[1]!.correlationId).toBe('corr-w')
    expect(got[2]!.seq).toBe(got[1]!.seq + 2) // the worker's local t.local used a seq in between

    // Page side: a non-shared and a local event do not cross.
    const stats = next(bus, 't.stats.result')
    bus.publish('hidden.y', {})
    bus.publish('t.local', {}, { local: true })
    bus.publish('t.stats')
    const w = (await stats).data as { bridge: { received: number } }
    expect(w.bridge.received).toBe(2) // t.emit and t.stats only
  })

  it('validates inbound messages: malformed counted and ignored, never thrown', async () => {
    const bus = createBus()
    const worker = new Worker(new URL('./test-fixtures/hostile-worker.ts', import.meta.url), { type: 'module' })
    const bridge = connectWorker(bus, worker, { share: 't.**' })
    cleanups.push(() => worker.terminate())
    const got: string[] = []
    bus.on('**').subscribe((e) => got.push(`${e.type}:${e.id}`))
    await next(bus, 't.done')
    expect(got).toEqual(['t.good:e1', 't.good:e7', 't.done:e8'])
    const s = bridge.stats()
    // e2, e3, the numeric id, e6, the non-object batch, the ragged batch, e10's bad type index,
    // the unknown version.
    expect(s.malformed).toBe(8)
    expect(s.unshared).toBe(1) // e4
    expect(s.echoes).toBe(1) // e5 claimed our origin
    expect(s.received).toBe(3)
  })

  it('names the offending path of uncloneable data; the event stays delivered locally', async () => {
    const bus = createBus()
    const { bridge } = startWorker(bus)
    await bridge.ready
    const errors: Error[] = []
    bridge.errors$.subscribe((e) => errors.push(e))
    const local: unknown[] = []
    bus.subscribe('t.ping', (e) => {
      local.push(e.data)
    })

    bus.publish('t.ping', { ok: 1, callback })
    expect(errors).toHaveLength(0) // found by the clone of the post, not by a walk inside publish
    bridge.flush()
    expect(errors).toHaveLength(1)
    const err = errors[0] as UncloneableDataError
    expect(err).toBeInstanceOf(UncloneableDataError)
    expect(err.name).toBe('UncloneableDataError')
    expect(err.type).toBe('t.ping')
    expect(err.path).toBe('data.callback')
    expect(err.valueKind).toBe('function')
    expect(err.message).toContain('data.callback')
    expect(err.message).toContain('"t.ping"')

    // The strict helper throws after local delivery.
    const el = document.createElement('div')
    expect(() => bridge.publish('t.ping', { items: [{ n: 1 }, { el }] })).toThrowError(
      expect.objectContaining({ name: 'UncloneableDataError', path: 'data.items.1.el', valueKind: 'HTMLDivElement' }),
    )
    expect(() => bridge.publish('t.ping', { m: new Map([['k', Symbol('s')]]) })).toThrowError(/data\.m\.k is a symbol/)
    expect(() => bridge.publish('t.ping', 1, { metadata: { p: Promise.resolve() } })).toThrowError(/metadata\.p is a Promise/)
    expect(local).toHaveLength(4)
    expect(bridge.stats().uncloneable).toBe(4)

    // Cloneable exotic data still crosses, and the bridge keeps working after the errors.
    const pong = next(bus, 't.pong')
    const r = bridge.publish('t.ping', { d: new Date(5), bytes: new Uint8Array([1, 2]), set: new Set([1]), err: new TypeError('x') })
    const back = (await pong).data as { id: string; data: { d: Date; bytes: Uint8Array; set: Set<number>; err: Error } }
    expect(back.id).toBe(r.id)
    expect(back.data.d.getTime()).toBe(5)
    expect([...back.data.bytes]).toEqual([1, 2])
    expect([...back.data.set]).toEqual([1])
    expect(back.data.err.message).toBe('x')
  })

  it('assertCloneable throws a typed error naming type and path', () => {
    expect(() => assertCloneable('user.saved', { ok: 1 })).not.toThrow()
    let err: unknown
    try {
      assertCloneable('user.saved', { ok: 1 }, { onDone: () => 1 })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UncloneableDataError)
    expect(err).toMatchObject({ name: 'UncloneableDataError', type: 'user.saved', path: 'metadata.onDone', valueKind: 'function' })
    expect((err as Error).message).toContain('Event "user.saved" cannot cross to the worker: metadata.onDone is a function')
  })

  it('findUncloneable agrees with the browser on platform objects', () => {
    const cases: [unknown, string][] = [
      [{ s: new AbortController().signal }, 'AbortSignal'],
      [{ el: document.body }, 'HTMLBodyElement'],
      [{ w: window }, 'Window'],
      [{ ev: new Event('x') }, 'Event'],
      [{ port: new MessageChannel().port1 }, 'MessagePort'],
    ]
    for (const [value, kind] of cases) {
      expect(findUncloneable(value)?.kind).toBe(kind)
      expect(() => structuredClone(value)).toThrow()
    }
    for (const ok of [{ f: new File(['x'], 'f.txt') }, { img: new ImageData(1, 1) }, { r: new DOMRect(1, 2, 3, 4) }]) {
      expect(findUncloneable(ok)).toBeUndefined()
      expect(() => structuredClone(ok)).not.toThrow()
    }
  })

  it('rejects bad targets and patterns with typed errors', () => {
    const bus = createBus()
    expect(() => connectWorker(bus, {} as unknown as Worker, { share: 'a' })).toThrowError(InvalidWorkerTargetError)
    const { port1 } = new MessageChannel()
    expect(() => connectWorker(bus, port1, { share: ['a..b'] })).toThrowError(InvalidTopicError)
    expect(() => connectWorker(bus, port1, { share: 'a', maxBatch: 0 })).toThrowError(/maxBatch/)
  })

  it('stops both ways on close() and tells the peer', async () => {
    const a = createBus()
    const b = createBus()
    const { port1, port2 } = new MessageChannel()
    const ab = connectWorker(a, port1, { share: '**' })
    const ba = connectWorker(b, port2, { share: '**' })
    await Promise.all([ab.ready, ba.ready])
    const got = firstValueFrom(b.on('x.*').pipe(take(2), toArray()))
    a.publish('x.one', 1)
    a.publish('x.two', 2)
    expect((await got).map((e) => e.data)).toEqual([1, 2])
    ab.close()
    await new Promise((r) => setTimeout(r, 50))
    expect(ba.closed).toBe(true)
    expect(ba.stats().forged).toBe(0) // the real peer's bye carries the nonce of its hello
    const after: unknown[] = []
    a.on('**').subscribe((e) => after.push(e.type))
    b.publish('x.three', 3)
    await new Promise((r) => setTimeout(r, 50))
    expect(after).toEqual([])
    expect(ab.stats().sent).toBe(2)
  })

  it('closes when its bus shuts down, and the peer learns it', async () => {
    const a = createBus()
    const b = createBus()
    const { port1, port2 } = new MessageChannel()
    const ab = connectWorker(a, port1, { share: '**' })
    const ba = connectWorker(b, port2, { share: '**' })
    await Promise.all([ab.ready, ba.ready])
    a.publish('x.last', 1)
    const last = next(b, 'x.last')
    await a.shutdown()
    expect(ab.closed).toBe(true)
    expect((await last).data).toBe(1) // flushed before the bye
    await expect.poll(() => ba.closed).toBe(true)
  })
})

describe('SharedWorker hub', () => {
  it('routes between two pages through the shared worker bus, never back to the sender', async () => {
    const url = new URL('./test-fixtures/shared-worker.ts', import.meta.url)
    const name = `hub-${Math.random()}`
    const w1 = new SharedWorker(url, { type: 'module', name })
    const w2 = new SharedWorker(url, { type: 'module', name })
    const a = createBus({ origin: 'page-a' })
    const b = createBus({ origin: 'page-b' })
    const ba = connectWorker(a, w1.port, { share: 's.**' })
    const bb = connectWorker(b, w2.port, { share: 's.**' })
    cleanups.push(() => {
      ba.close()
      bb.close()
    })
    await Promise.all([ba.ready, bb.ready])
    expect(ba.peerOrigin).toBe(bb.peerOrigin) // one worker bus behind both ports

    const inB = firstValueFrom(b.on('s.*').pipe(take(2), toArray()))
    const inA: TidingsEvent[] = []
    a.on('**').subscribe((e) => inA.push(e))
    const welcomeA = next(a, 's.welcome')
    a.publish('s.hello', { from: 'a' })
    const events = await inB
    expect(events.map((e) => [e.type, e.origin])).toEqual([
      ['s.hello', 'page-a'],
      ['s.welcome', ba.peerOrigin],
    ])
    await welcomeA
    expect(inA.map((e) => e.type)).toEqual(['s.hello', 's.welcome']) // own event once, not echoed
  })
})
