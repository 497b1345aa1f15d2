// Type tests for issue-17 features: the system event map merged into every bus, the decorators
// typed by an event map, lazy() handlers and the queue order option.
import { describe, expectTypeOf, it } from 'vitest'
import { createBus, decoratorsFor, lazy, subscribeTo, publishes, type HandlerContext, type Registration, type SystemEventMap, type TidingsEvent } from './index.js'

type Events = {
  'order.paid': { orderId: string }
  'order.refunded': { orderId: string; amount: number }
  'invoice.created': { orderId: string; total: number }
}

describe('system events in the event map', () => {
  it('are typed on a typed bus and on an untyped one', () => {
    const typed = createBus<Events>()
    const plain = createBus()
    typed.subscribe('$tidings.bus.started', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'$tidings.bus.started'>()
      expectTypeOf(e.data).toEqualTypeOf<{ name: string; origin: string; version: string }>()
    })
    plain.subscribe('$tidings.bus.shutdown', (e) => {
      expectTypeOf(e.data.graceful).toBeBoolean()
      expectTypeOf(e.data.dropped).toBeNumber()
    })
    plain.on('$tidings.queue.overflow').subscribe((e) => expectTypeOf(e.data.strategy).toEqualTypeOf<'drop-oldest' | 'drop-newest' | 'block' | 'reject'>())
    typed.subscribe('$tidings.error', (e) => expectTypeOf(e.data.method).toEqualTypeOf<string | undefined>())
  })

  it('a `$tidings.*` pattern is the union of the system topics it may match', () => {
    const bus = createBus<Events>()
    bus.subscribe('$tidings.subscription.*', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'$tidings.subscription.added' | '$tidings.subscription.removed'>()
      expectTypeOf(e.data.kind).toEqualTypeOf<'handler' | 'queued' | 'observable' | 'inbox' | 'reply'>()
    })
    bus.subscribe('$tidings.**', (e) => expectTypeOf(e.type).toEqualTypeOf<keyof SystemEventMap>())
    // Wildcards without `$` never match system topics, and their type says so.
    bus.subscribe('**', (e) => expectTypeOf(e.type).toEqualTypeOf<keyof Events>())
  })

  it('shutdown takes a reason', () => {
    const bus = createBus()
    void bus.shutdown({ reason: 'logout', drainTimeoutMs: 10 })
    // @ts-expect-error reason is a string
    void bus.shutdown({ reason: 1 })
  })
})

describe('decorators', () => {
  const { subscribeTo: on, publishes: emits } = decoratorsFor<Events>()

  it('check handler events and published data against the event map', () => {
    class Billing {
      @on('order.paid')
      paid(e: TidingsEvent<{ orderId: string }>, ctx: HandlerContext<Events>) {
        return [e.data.orderId, ctx.attempt]
      }
      @on('order.*', { queue: { max: 10, strategy: 'drop-oldest', order: 'priority' } })
      any(e: TidingsEvent<{ orderId: string }>) {
        return e.data.orderId
      }
      @emits('invoice.created')
      async create(orderId: string) {
        return { orderId, total: 1 }
      }
      @emits('invoice.created')
      createSync(orderId: string) {
        return { orderId, total: 1 }
      }
    }
    const reg = createBus<Events>().register(new Billing())
    expectTypeOf(reg).toEqualTypeOf<Registration>()
    expectTypeOf(new Billing().create('x')).toEqualTypeOf<Promise<{ orderId: string; total: number }>>()
  })

  it('refuse mismatched handlers and data', () => {
    class Wrong {
      // @ts-expect-error the handler wants data 'order.paid' does not carry
      @on('order.paid')
      paid(e: TidingsEvent<{ amount: number }>) {
        return e
      }
      // @ts-expect-error the method returns the wrong data for 'invoice.created'
      @emits('invoice.created')
      create() {
        return { orderId: 1 }
      }
      // @ts-expect-error not a type of the map
      @emits('invoice.deleted')
      gone() {
        return {}
      }
    }
    void Wrong
  })

  it('the untyped decorators accept any handler event', () => {
    class Plain {
      @subscribeTo('x.*')
      onX(e: TidingsEvent<{ whatever: boolean }>) {
        return e.data.whatever
      }
      @publishes('y')
      y() {
        return 1
      }
    }
    void Plain
  })
})

describe('lazy()', () => {
  it('types the loaded module export as a handler of the subscription', () => {
    const bus = createBus<Events>()
    bus.subscribe('order.paid', lazy(() => Promise.resolve({ default: (e: TidingsEvent<{ orderId: string }>) => e.data.orderId })))
    bus.subscribe('order.paid', lazy(() => Promise.resolve({ handle: (e: TidingsEvent<{ orderId: string }>) => e }), { export: 'handle' }))
    // @ts-expect-error the module has no such export
    bus.subscribe('order.paid', lazy(() => Promise.resolve({ handle: (e: TidingsEvent) => e }), { export: 'other' }))
    // @ts-expect-error the handler wants other data
    bus.subscribe('order.paid', lazy(() => Promise.resolve({ default: (e: TidingsEvent<{ amount: number }>) => e })))
  })

  it('queue order is fifo or priority, on subscriptions and inboxes', () => {
    const bus = createBus()
    bus.subscribe('a', () => {}, { queue: { max: 5, strategy: 'drop-newest', order: 'priority' } })
    bus.inbox('a', { max: 5, order: 'fifo' })
    // @ts-expect-error not an order
    bus.inbox('a', { order: 'lifo' })
  })
})
