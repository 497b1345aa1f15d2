// @subscribeTo / @publishes / bus.register, with real `@` syntax: this file is lowered by
// @rolldown/plugin-babel with @babel/plugin-proposal-decorators (2023-11), as vite.config.ts
// applies it to files named *decorators*.test.ts (Vite 8's transform leaves decorators as they are).
import { describe, expect, it } from 'vitest'
import { createBus } from './bus.js'
import { decoratorsFor, publishes, subscribeTo } from './decorators.js'
import type { TidingsEvent } from './envelope.js'
import { NotRegisteredError, QueueFullError } from './errors.js'
import type { HandlerContext } from './types.js'

const tick = () => new Promise((r) => setTimeout(r, 0))

class Billing {
  paid: string[] = []
  ctxAttempts: number[] = []
  readonly total: number
  constructor(total: number) {
    this.total = total
  }

  @subscribeTo('order.paid')
  onPaid(e: TidingsEvent<{ orderId: string }>, ctx: HandlerContext) {
    this.paid.push(e.data.orderId)
    this.ctxAttempts.push(ctx.attempt)
  }

  @subscribeTo(['order.refunded', 'order.voided'], { queue: { max: 2, strategy: 'drop-oldest' }, label: 'refunds' })
  async onRefund(e: TidingsEvent<{ orderId: string }>) {
    this.paid = this.paid.filter((id) => id !== e.data.orderId)
  }

  @publishes('invoice.created', { source: { component: 'billing' } })
  async createInvoice(orderId: string) {
    return { orderId, total: this.total }
  }

  @publishes('invoice.sync')
  syncInvoice(orderId: string) {
    if (orderId === 'bad') throw new RangeError('no such order')
    return { orderId }
  }

  @publishes('invoice.async')
  async failing(): Promise<{ orderId: string }> {
    await tick()
    throw new TypeError('card declined')
  }
}

describe('decorators', () => {
  it('register subscribes every @subscribeTo method with `this` bound, options applied', async () => {
    const bus = createBus()
    const billing = new Billing(42)
    const reg = bus.register(billing)
    bus.publish('order.paid', { orderId: 'a' })
    bus.publish('order.paid', { orderId: 'b' })
    expect(billing.paid).toEqual(['a', 'b'])
    expect(billing.ctxAttempts).toEqual([1, 1])
    bus.publish('order.voided', { orderId: 'a' })
    await tick()
    expect(billing.paid).toEqual(['b'])
    const infos = bus.subscriptions()
    expect(infos.map((s) => [s.patterns, s.kind, s.label ?? null])).toEqual([
      [['order.paid'], 'handler', null],
      [['order.refunded', 'order.voided'], 'queued', 'refunds'],
    ])
    expect(infos[1]!.queueMax).toBe(2)
    reg.unsubscribe()
    expect(bus.subscriptions()).toEqual([])
    bus.publish('order.paid', { orderId: 'c' })
    expect(billing.paid).toEqual(['b'])
  })

  it('@publishes publishes the awaited result with its options and returns it', async () => {
    const bus = createBus()
    const billing = new Billing(42)
    bus.register(billing)
    const seen: TidingsEvent[] = []
    bus.subscribe('invoice.*', (e) => void seen.push(e))
    await expect(billing.createInvoice('o1')).resolves.toEqual({ orderId: 'o1', total: 42 })
    expect(billing.syncInvoice('o2')).toEqual({ orderId: 'o2' })
    expect(seen.map((e) => [e.type, e.data, e.source ?? null])).toEqual([
      ['invoice.created', { orderId: 'o1', total: 42 }, { component: 'billing' }],
      ['invoice.sync', { orderId: 'o2' }, null],
    ])
  })

  it('a throwing @publishes method publishes nothing, reports $tidings.error with its name, and still throws', async () => {
    const bus = createBus()
    const billing = new Billing(1)
    bus.register(billing)
    const errors: unknown[] = []
    const published: string[] = []
    bus.subscribe('$tidings.error', (e) => void errors.push(e.data))
    bus.subscribe('invoice.*', (e) => void published.push(e.type))
    expect(() => billing.syncInvoice('bad')).toThrow(RangeError)
    await expect(billing.failing()).rejects.toThrow(TypeError)
    expect(published).toEqual([])
    expect(errors).toEqual([
      { name: 'RangeError', message: 'no such order', method: 'Billing.syncInvoice' },
      { name: 'TypeError', message: 'card declined', method: 'Billing.failing' },
    ])
  })

  it('decorated methods throw NotRegisteredError before register and after unsubscribe', async () => {
    const bus = createBus()
    const billing = new Billing(1)
    expect(() => billing.syncInvoice('x')).toThrow(NotRegisteredError)
    expect(() => billing.onPaid({ data: { orderId: 'x' } } as TidingsEvent<{ orderId: string }>, {} as HandlerContext)).toThrow(
      /Billing\.onPaid\(\) is decorated, but its instance is not registered on a bus: call bus\.register\(instance\) first/,
    )
    expect(() => billing.createInvoice('x')).toThrow(NotRegisteredError)
    const reg = bus.register(billing)
    expect(billing.syncInvoice('x')).toEqual({ orderId: 'x' })
    reg.unsubscribe()
    const err = (() => {
      try {
        billing.syncInvoice('y')
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(NotRegisteredError)
    expect((err as NotRegisteredError).method).toBe('Billing.syncInvoice')
  })

  it('instances are independent; the register handle and subscriptions support `using`', () => {
    const bus = createBus()
    const a = new Billing(1)
    const b = new Billing(2)
    {
      using registered = bus.register(a)
      bus.register(b)
      bus.publish('order.paid', { orderId: 'x' })
      expect(bus.subscriptions()).toHaveLength(4)
      expect(registered.unsubscribe).toBeTypeOf('function')
    }
    // a's two subscriptions left at the end of the block; b's stay.
    expect(bus.subscriptions()).toHaveLength(2)
    bus.publish('order.paid', { orderId: 'y' })
    expect(a.paid).toEqual(['x'])
    expect(b.paid).toEqual(['x', 'y'])
    let hits = 0
    {
      using sub = bus.subscribe('ping', () => hits++)
      bus.publish('ping')
      expect(sub.active).toBe(true)
    }
    bus.publish('ping')
    expect(hits).toBe(1)
    let kept: { closed: boolean } | undefined
    {
      using inbox = bus.inbox('ping')
      kept = inbox
      expect(inbox.closed).toBe(false)
    }
    expect(kept.closed).toBe(true)
  })

  it('register refuses an object without decorated methods', () => {
    const bus = createBus()
    expect(() => bus.register({})).toThrow(/no @subscribeTo or @publishes method/)
  })

  it('refuses to decorate anything but a method (plain JavaScript can try)', () => {
    const asField = subscribeTo('x') as unknown as (v: undefined, c: { kind: string; name: string }) => void
    expect(() => asField(undefined, { kind: 'field', name: 'handler' })).toThrow('@subscribeTo decorates methods, not the field handler')
    const asGetter = publishes('x') as unknown as (v: () => void, c: { kind: string; name: string }) => void
    expect(() => asGetter(() => {}, { kind: 'getter', name: 'total' })).toThrow('@publishes decorates methods, not the getter total')
  })

  it('a @publishes refused by a full reject queue throws QueueFullError to the caller', () => {
    const bus = createBus()
    const billing = new Billing(1)
    bus.register(billing)
    bus.subscribe('invoice.sync', async () => {}, { queue: { max: 1, strategy: 'reject' } })
    billing.syncInvoice('1')
    expect(() => billing.syncInvoice('2')).toThrow(QueueFullError)
  })

  it('static methods register through their class; decoratorsFor<Events>() is the same functions, typed', () => {
    type Events = { 'tick.done': { n: number }; 'tick.start': { n: number } }
    const d = decoratorsFor<Events>()
    expect(d.subscribeTo).toBe(subscribeTo)
    expect(d.publishes).toBe(publishes)
    // oxlint-disable-next-line no-extraneous-class -- static decorated methods are the point here
    class Clock {
      static seen: number[] = []
      @d.subscribeTo('tick.start')
      static onStart(e: TidingsEvent<{ n: number }, 'tick.start'>) {
        Clock.seen.push(e.data.n)
      }
      @d.publishes('tick.done')
      static done(n: number) {
        return { n }
      }
    }
    const bus = createBus<Events>()
    const done: number[] = []
    bus.subscribe('tick.done', (e) => void done.push(e.data.n))
    bus.register(Clock)
    bus.publish('tick.start', { n: 1 })
    Clock.done(2)
    expect(Clock.seen).toEqual([1])
    expect(done).toEqual([2])
  })
})
