// System events ($tidings.*): what each carries, when it comes, and that wildcards do not see them.
import { describe, expect, it } from 'vitest'
import { createBus } from './bus.js'
import type { TidingsEvent } from './envelope.js'
import { emitSystemEvent, VERSION } from './system-events.js'
import pkg from '../package.json' with { type: 'json' }

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('system events', () => {
  it('$tidings.bus.started reaches a subscriber added synchronously after createBus', async () => {
    const bus = createBus({ name: 'app', origin: 'o-1' })
    const seen: TidingsEvent[] = []
    bus.subscribe('$tidings.bus.started', (e) => void seen.push(e))
    expect(seen).toEqual([])
    await Promise.resolve()
    expect(seen.map((e) => [e.type, e.data, e.origin])).toEqual([['$tidings.bus.started', { name: 'app', origin: 'o-1', version: VERSION }, 'o-1']])
    // Once only.
    await tick()
    expect(seen).toHaveLength(1)
  })

  it('VERSION is the package version', () => {
    expect(VERSION).toBe(pkg.version)
  })

  it('$tidings.subscription.added/removed carry id, pattern, kind and label', () => {
    const bus = createBus()
    const seen: unknown[] = []
    bus.subscribe('$tidings.subscription.*', (e) => void seen.push([e.type, e.data]))
    const a = bus.subscribe('a.b', () => {}, { label: 'A' })
    const b = bus.subscribe(['x', 'y.*'], () => {}, { queue: { max: 1, strategy: 'reject' } })
    const inbox = bus.inbox('z')
    a.unsubscribe()
    inbox.close()
    b.unsubscribe()
    expect(seen).toEqual([
      ['$tidings.subscription.added', { id: a.id, pattern: 'a.b', kind: 'handler', label: 'A' }],
      ['$tidings.subscription.added', { id: b.id, pattern: ['x', 'y.*'], kind: 'queued' }],
      ['$tidings.subscription.added', { id: inbox.id, pattern: 'z', kind: 'inbox' }],
      ['$tidings.subscription.removed', { id: a.id, pattern: 'a.b', kind: 'handler', label: 'A' }],
      ['$tidings.subscription.removed', { id: inbox.id, pattern: 'z', kind: 'inbox' }],
      ['$tidings.subscription.removed', { id: b.id, pattern: ['x', 'y.*'], kind: 'queued' }],
    ])
  })

  it('wildcards without a leading $ never match system topics', async () => {
    const bus = createBus()
    const wild: string[] = []
    const sys: string[] = []
    bus.subscribe('**', (e) => void wild.push(e.type))
    bus.subscribe('*.*.*', (e) => void wild.push(e.type))
    bus.subscribe('$tidings.**', (e) => void sys.push(e.type))
    bus.subscribe('t', () => {
      throw new Error('x')
    })
    bus.publish('t')
    await bus.shutdown({ reason: 'test' })
    expect(wild).toEqual(['t'])
    // started comes in the microtask after createBus; shutdown unsubscribes in subscription order.
    expect(sys).toEqual([
      '$tidings.subscription.added',
      '$tidings.error',
      '$tidings.bus.started',
      '$tidings.bus.shutdown',
      '$tidings.subscription.removed',
      '$tidings.subscription.removed',
    ])
  })

  it('$tidings.bus.shutdown reports reason, graceful, drained and dropped, after the drain', async () => {
    const bus = createBus()
    const seen: unknown[] = []
    const handled: number[] = []
    bus.subscribe('$tidings.bus.shutdown', (e) => void seen.push({ ...e.data, handledThen: [...handled] }))
    bus.subscribe('work', async (e) => void handled.push(e.data as number), { queue: { max: 10, strategy: 'drop-oldest' } })
    for (let i = 0; i < 3; i++) bus.publish('work', i)
    expect(await bus.shutdown({ reason: 'logout' })).toEqual({ drained: 3, undelivered: 0 })
    expect(seen).toEqual([{ reason: 'logout', graceful: true, drained: 3, dropped: 0, handledThen: [0, 1, 2] }])
  })

  it('a shutdown that times out is not graceful and counts the dropped events; queued subscribers get the event', async () => {
    const bus = createBus()
    const seen: unknown[] = []
    bus.subscribe('$tidings.bus.shutdown', async (e) => void seen.push(e.data), { queue: { max: 1, strategy: 'reject' } })
    bus.subscribe('work', () => new Promise(() => {}), { queue: { max: 10, strategy: 'drop-oldest' } })
    for (let i = 0; i < 3; i++) bus.publish('work', i)
    await tick()
    const r = await bus.shutdown({ drainTimeoutMs: 5 })
    expect(r).toEqual({ drained: 0, undelivered: 3 })
    expect(seen).toEqual([{ reason: 'shutdown()', graceful: false, drained: 0, dropped: 3 }])
  })

  it('$tidings.queue.overflow is coalesced to one event per subscription per task', async () => {
    const bus = createBus()
    const seen: unknown[] = []
    bus.subscribe('$tidings.queue.overflow', (e) => void seen.push(e.data))
    const a = bus.subscribe('a', async () => {}, { queue: { max: 2, strategy: 'drop-oldest' }, label: 'A' })
    const b = bus.subscribe('b', async () => {}, { queue: { max: 1, strategy: 'reject' } })
    for (let i = 0; i < 7; i++) bus.publish('a', i)
    bus.publish('b', 0)
    expect(() => bus.publish('b', 1)).toThrow()
    expect(() => bus.publish('b', 2)).toThrow()
    expect(seen).toEqual([])
    await tick()
    expect(seen).toEqual([
      { subscription: a.id, label: 'A', strategy: 'drop-oldest', dropped: 5, rejected: 0 },
      { subscription: b.id, strategy: 'reject', dropped: 0, rejected: 2 },
    ])
    // The next task's drops make a new event (the queue was emptied meanwhile: 2 fit).
    for (let i = 0; i < 4; i++) bus.publish('a', i)
    await tick()
    expect(seen).toHaveLength(3)
    expect(seen[2]).toEqual({ subscription: a.id, label: 'A', strategy: 'drop-oldest', dropped: 2, rejected: 0 })
  })

  it('costs nothing while nobody listens: no data built, no envelope, no seq', async () => {
    const bus = createBus()
    const s = bus.subscribe('a', async () => {}, { queue: { max: 1, strategy: 'drop-newest' } })
    for (let i = 0; i < 5; i++) bus.publish('a', i)
    const published = bus.stats().published
    bus.subscribe('x', () => {}).unsubscribe()
    emitSystemEvent(bus, '$tidings.tabs.peer.joined', () => {
      throw new Error('must not be built')
    })
    await tick()
    await bus.shutdown()
    // Every envelope takes a seq (stats().published): no system event was built.
    expect(bus.stats().published).toBe(published)
    expect(s.stats().dropped).toBe(4)
  })

  it('emitSystemEvent publishes a local bridge event only when its topic has a subscriber', () => {
    const bus = createBus()
    const seen: TidingsEvent[] = []
    let built = 0
    bus.subscribe('$tidings.worker.*', (e) => void seen.push(e))
    emitSystemEvent(bus, '$tidings.tabs.peer.joined', () => {
      built++
      return { channel: 'c', peer: 'p', origin: 'o' }
    })
    emitSystemEvent(bus, '$tidings.worker.crashed', () => {
      built++
      return { worker: 'w', reason: 'boom' }
    })
    expect(built).toBe(1)
    expect(seen.map((e) => [e.type, e.data])).toEqual([['$tidings.worker.crashed', { worker: 'w', reason: 'boom' }]])
    expect((bus as unknown as { isLocal(e: TidingsEvent): boolean }).isLocal(seen[0]!)).toBe(true)
  })
})
