// An observer of bus.on() that throws is a handler failure like any other: reported on errors$
// and as '$tidings.error', counted, and nobody else misses the event. Nothing reaches RxJS's
// unhandled-error path (an uncaughtException in Node).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { filter, firstValueFrom, map, share } from 'rxjs'
import { createBus, ERROR_TOPIC, type HandlerFailure, type TidingsEvent } from './index.js'

let escaped: unknown[] = []
const onUncaught = (err: unknown) => escaped.push(err)
beforeEach(() => {
  escaped = []
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)
})
afterEach(() => {
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onUncaught)
})

/** RxJS rethrows an observer's error on a timer: wait past it before asserting nothing escaped. */
const pastRxjsTimers = () => new Promise((r) => setTimeout(r, 20))

function watch(bus: ReturnType<typeof createBus>): { failures: HandlerFailure[]; published: Array<Record<string, unknown>> } {
  const failures: HandlerFailure[] = []
  const published: Array<Record<string, unknown>> = []
  bus.errors$.subscribe((f) => failures.push(f))
  bus.subscribe(ERROR_TOPIC, (e) => void published.push(e.data as Record<string, unknown>))
  return { failures, published }
}

describe('an observer of bus.on() that throws', () => {
  it('is reported on errors$ and as $tidings.error, counted, and the others still get the event', async () => {
    const bus = createBus({ name: 'obs' })
    const { failures, published } = watch(bus)
    const order: string[] = []
    const throwing = bus.on('order.*').subscribe((e) => {
      order.push(`throwing:${e.data}`)
      throw new Error(`observer failed on ${e.type}`)
    })
    bus.on('order.*').subscribe((e) => void order.push(`observer:${e.data}`))
    bus.subscribe('order.*', (e) => void order.push(`handler:${e.data}`))
    const [obsId] = bus.subscriptions().filter((s) => s.kind === 'observable').map((s) => s.id)

    const r1 = bus.publish('order.placed', 1)
    const r2 = bus.publish('order.paid', 2)
    await pastRxjsTimers()

    expect(escaped).toEqual([])
    expect(order).toEqual(['throwing:1', 'observer:1', 'handler:1', 'throwing:2', 'observer:2', 'handler:2'])
    expect(failures.map((f) => [f.subscriptionId, f.event.id, f.error.message, f.attempts])).toEqual([
      [obsId, r1.id, 'observer failed on order.placed', 1],
      [obsId, r2.id, 'observer failed on order.paid', 1],
    ])
    expect(published).toEqual([
      { name: 'Error', message: 'observer failed on order.placed', eventId: r1.id, eventType: 'order.placed', subscriptionId: obsId, attempts: 1 },
      { name: 'Error', message: 'observer failed on order.paid', eventId: r2.id, eventType: 'order.paid', subscriptionId: obsId, attempts: 1 },
    ])
    expect(bus.stats().errors).toBe(2)
    expect(bus.subscriptions().find((s) => s.id === obsId)).toMatchObject({ received: 2, handled: 0, errors: 2 })
    // The throwing observer keeps its subscription: RxJS never saw the error.
    expect(throwing.closed).toBe(false)
    expect(r1).toMatchObject({ matched: 3, delivered: 3 })
  })

  it('a partial observer object keeps its `this`; its error and complete callbacks still work', async () => {
    const bus = createBus()
    const { failures } = watch(bus)
    class Collector {
      seen: number[] = []
      completed = false
      next(e: TidingsEvent): void {
        this.seen.push(e.data as number)
        if (e.data === 2) throw new Error('two')
      }
      complete(): void {
        this.completed = true
      }
    }
    const c = new Collector()
    bus.on('n').subscribe(c)
    for (const n of [1, 2, 3]) bus.publish('n', n)
    await pastRxjsTimers()
    expect(escaped).toEqual([])
    expect(c.seen).toEqual([1, 2, 3])
    expect(failures.map((f) => [f.error.message, f.event.data])).toEqual([['two', 2]])
    await bus.shutdown()
    expect(c.completed).toBe(true)
  })

  it('covers the observer at the end of a pipe (map, filter); the deprecated (next, error, complete) form completes', async () => {
    const bus = createBus()
    const { failures } = watch(bus)
    let completed = 0
    bus
      .on('v')
      .pipe(
        map((e) => e.data as number),
        filter((n) => n > 1),
      )
      .subscribe(
        (n) => {
          throw new Error(`piped ${n}`)
        },
        null,
        () => void completed++,
      )
    for (const n of [1, 2, 3]) bus.publish('v', n)
    await pastRxjsTimers()
    expect(escaped).toEqual([])
    expect(failures.map((f) => [f.error.message, f.event.data])).toEqual([['piped 2', 2], ['piped 3', 3]])
    await bus.shutdown()
    expect(completed).toBe(1)
  })

  it('several observers of one shared subscription that throw are each reported, under that subscription', async () => {
    const bus = createBus()
    const { failures } = watch(bus)
    const shared = bus.on('s').pipe(share())
    shared.subscribe(() => {
      throw new Error('first')
    })
    shared.subscribe(() => {
      throw new Error('second')
    })
    const got: number[] = []
    shared.subscribe((e) => void got.push(e.data as number))
    bus.publish('s', 7)
    await pastRxjsTimers()
    expect(escaped).toEqual([])
    expect(got).toEqual([7])
    const ids = bus.subscriptions().filter((s) => s.kind === 'observable').map((s) => s.id)
    expect(ids).toHaveLength(1)
    expect(failures.map((f) => [f.error.message, f.subscriptionId])).toEqual([['first', ids[0]], ['second', ids[0]]])
    expect(bus.stats().errors).toBe(2)
  })

  it('a nested publish: the inner observer failure is reported under its own subscription, the outer observer goes on', async () => {
    const bus = createBus()
    const { failures } = watch(bus)
    const log: string[] = []
    bus.on('outer').subscribe(() => {
      log.push('outer start')
      bus.publish('inner')
      log.push('outer end')
    })
    bus.on('inner').subscribe(() => {
      throw new Error('inner failed')
    })
    const [outerId, innerId] = bus.subscriptions().filter((s) => s.kind === 'observable').map((s) => s.id)
    bus.publish('outer')
    await pastRxjsTimers()
    expect(escaped).toEqual([])
    expect(log).toEqual(['outer start', 'outer end'])
    expect(failures.map((f) => [f.error.message, f.subscriptionId, f.event.type])).toEqual([['inner failed', innerId, 'inner']])
    expect(bus.subscriptions().find((s) => s.id === outerId)).toMatchObject({ handled: 1, errors: 0 })
  })

  it('an observer of $tidings.error that throws is counted and on errors$, but not published again (no loop)', async () => {
    const bus = createBus()
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    bus.on(ERROR_TOPIC).subscribe(() => {
      throw new Error('error observer failed')
    })
    bus.subscribe('x', () => {
      throw new Error('handler failed')
    })
    bus.publish('x')
    await pastRxjsTimers()
    expect(escaped).toEqual([])
    expect(failures.map((f) => [f.error.message, f.event.type])).toEqual([
      ['handler failed', 'x'],
      ['error observer failed', ERROR_TOPIC],
    ])
    expect(bus.stats()).toMatchObject({ published: 2, errors: 2 })
  })

  it('Subscribers passed in (firstValueFrom) work as before', async () => {
    const bus = createBus()
    const first = firstValueFrom(bus.on('f'))
    bus.publish('f', 'x')
    expect((await first).data).toBe('x')
    expect(bus.subscriptions()).toEqual([])
  })
})
