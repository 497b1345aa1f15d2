import { describe, expectTypeOf, it } from 'vitest'
import { createBus, type Bus, type TidingsEvent } from './index.js'

type Events = {
  'user.login': { userId: string }
  'user.logout': { userId: string; reason: 'timeout' | 'manual' }
  'cart.add': { sku: string; qty: number }
}

const attachPlain = (b: Bus) => b.name

describe('typed event maps', () => {
  const bus = createBus<Events>()

  it('types publish payloads', () => {
    bus.publish('user.login', { userId: 'u1' })
    bus.publish({ type: 'cart.add', data: { sku: 's', qty: 1 } })
    // @ts-expect-error unknown event type
    bus.publish('user.signup', { userId: 'u1' })
    // @ts-expect-error wrong payload shape
    bus.publish('cart.add', { sku: 's', qty: '1' })
    // @ts-expect-error wrong payload in the object form
    bus.publish({ type: 'user.login', data: { id: 1 } })
  })

  it('types event data for exact topics', () => {
    bus.subscribe('cart.add', (e) => {
      expectTypeOf(e.data).toEqualTypeOf<{ sku: string; qty: number }>()
      expectTypeOf(e.type).toEqualTypeOf<'cart.add'>()
    })
    bus.on('user.login').subscribe((e) => expectTypeOf(e.data.userId).toBeString())
  })

  it('narrows prefix patterns to the matching keys', () => {
    bus.on('user.*').subscribe((e) => {
      expectTypeOf(e.type).toEqualTypeOf<'user.login' | 'user.logout'>()
      if (e.type === 'user.logout') expectTypeOf(e.data.reason).toEqualTypeOf<'timeout' | 'manual'>()
    })
    bus.subscribe('**', (e) => expectTypeOf(e.type).toEqualTypeOf<'user.login' | 'user.logout' | 'cart.add'>())
  })

  it('typed handles carry the payload type', () => {
    const login = bus.event('user.login')
    login.publish({ userId: 'x' })
    // @ts-expect-error wrong payload for the handle
    login.publish({ userId: 1 })
    login.subscribe((e) => expectTypeOf(e).toEqualTypeOf<TidingsEvent<{ userId: string }, 'user.login'>>())
  })

  it('an untyped bus accepts any topic and data', () => {
    const loose = createBus()
    loose.publish('anything.goes', 42)
    loose.subscribe('x.*', (e) => expectTypeOf(e.data).toBeUnknown())
  })

  it('a typed bus can be passed where a plain Bus is expected (bridges, history, devtools)', () => {
    expectTypeOf(attachPlain(bus)).toBeString()
    expectTypeOf(bus).toMatchTypeOf<Bus>()
  })
})

// Apps often declare the map as an interface, which has no index signature.
interface InterfaceEvents {
  'order.paid': { id: number; total: number }
  'order.created': { id: number }
}

describe('an interface as the event map', () => {
  const bus = createBus<InterfaceEvents>()

  it('types publish and handlers', () => {
    bus.publish('order.paid', { id: 1, total: 2 })
    // @ts-expect-error total must be a number
    bus.publish('order.paid', { id: 1, total: '2' })
    bus.subscribe('order.paid', (e) => expectTypeOf(e.data).toEqualTypeOf<{ id: number; total: number }>())
  })

  it('can be passed where a plain Bus is expected', () => {
    expectTypeOf(attachPlain(bus)).toBeString()
    expectTypeOf(bus).toMatchTypeOf<Bus>()
  })
})

