// Type tests (vitest typecheck): the hooks are typed by the bus's event map. Nothing here runs.
import { createElement } from 'react'
import { BehaviorSubject, type Observable } from 'rxjs'
import { describe, expectTypeOf, it } from 'vitest'
import { createBus, TidingsError, type Bus, type EventMap, type TidingsEvent } from '@tidings/core'
import type { LeaderElection, SharedState } from '@tidings/tabs'
import {
  BusProvider,
  BusProviderMissingError,
  typedHooks,
  useBus,
  useEvent,
  useLatest,
  useLeader,
  useObservable,
  usePublish,
  useSharedState,
  type EventsOf,
  type LeaderLike,
  type RegisteredEvents,
  type SetSharedState,
  type SharedStateLike,
} from './index.js'

type Events = {
  'user.login': { userId: string }
  'user.logout': { userId: string; reason: 'timeout' | 'manual' }
  'cart.add': { sku: string; qty: number }
}

interface InterfaceEvents {
  'order.paid': { id: number; total: number }
}

describe('typedHooks<Events>()', () => {
  const typed = typedHooks<Events>()

  it('useEvent types the event by the pattern, and its options', () => {
    typed.useEvent('cart.add', (e, ctx) => {
      expectTypeOf(e).toEqualTypeOf<TidingsEvent<{ sku: string; qty: number }, 'cart.add'>>()
      expectTypeOf(ctx.publish).toEqualTypeOf<Bus<Events>['publish']>()
    })
    typed.useEvent('user.*', (e) => {
      expectTypeOf(e.type).toEqualTypeOf<'user.login' | 'user.logout'>()
      if (e.type === 'user.logout') expectTypeOf(e.data.reason).toEqualTypeOf<'timeout' | 'manual'>()
    })
    typed.useEvent(['cart.add', 'user.login'], (e) => expectTypeOf(e.type).toEqualTypeOf<'cart.add' | 'user.login'>())
    typed.useEvent('cart.add', () => {}, {
      filter: (e) => e.data.qty > 1,
      priority: 1,
      queue: { max: 10, strategy: 'drop-oldest' },
      retry: { attempts: 2 },
      once: true,
      label: 'cart',
    })
    // @ts-expect-error the filter gets the typed event
    typed.useEvent('cart.add', () => {}, { filter: (e: TidingsEvent<{ sku: number }>) => e.data.sku > 0 })
    // @ts-expect-error not a subscribe option
    typed.useEvent('cart.add', () => {}, { debounce: 10 })
    // @ts-expect-error not a queue strategy
    typed.useEvent('cart.add', () => {}, { queue: { max: 1, strategy: 'newest' } })
  })

  it('useLatest is the typed event or undefined', () => {
    expectTypeOf(typed.useLatest('user.login')).toEqualTypeOf<TidingsEvent<{ userId: string }, 'user.login'> | undefined>()
    expectTypeOf(typed.useLatest('cart.*')).toEqualTypeOf<TidingsEvent<{ sku: string; qty: number }, 'cart.add'> | undefined>()
  })

  it('usePublish and useBus are the typed bus', () => {
    const publish = typed.usePublish()
    expectTypeOf(publish).toEqualTypeOf<Bus<Events>['publish']>()
    publish('user.login', { userId: 'u' })
    publish({ type: 'cart.add', data: { sku: 's', qty: 1 } })
    // @ts-expect-error unknown topic
    publish('user.signup', { userId: 'u' })
    // @ts-expect-error wrong payload
    publish('cart.add', { sku: 's', qty: '1' })
    expectTypeOf(typed.useBus()).toEqualTypeOf<Bus<Events>>()
  })

  it('an interface works as the event map', () => {
    const hooks = typedHooks<InterfaceEvents>()
    hooks.useEvent('order.paid', (e) => expectTypeOf(e.data.total).toBeNumber())
    // @ts-expect-error total is a number
    hooks.usePublish()('order.paid', { id: 1, total: '2' })
  })
})

describe('the plain hooks', () => {
  it('take explicit type arguments', () => {
    useEvent<'user.login', Events>('user.login', (e) => expectTypeOf(e.data.userId).toBeString())
    expectTypeOf(useLatest<'cart.add', Events>('cart.add')?.data).toEqualTypeOf<{ sku: string; qty: number } | undefined>()
    expectTypeOf(useBus<Events>()).toEqualTypeOf<Bus<Events>>()
    expectTypeOf(usePublish<Events>()).toEqualTypeOf<Bus<Events>['publish']>()
  })

  it('without a registered map: any topic, unknown data, never any', () => {
    expectTypeOf<RegisteredEvents>().toEqualTypeOf<EventMap>()
    useEvent('anything.*', (e) => {
      expectTypeOf(e).not.toBeAny()
      expectTypeOf(e.data).toBeUnknown()
    })
    expectTypeOf(useLatest('x')).toEqualTypeOf<TidingsEvent<unknown, string> | undefined>()
    usePublish()('anything', 42)
  })

  it('Register resolves through EventsOf (what `declare module` augmentation fills in)', () => {
    expectTypeOf<EventsOf<{ events: Events }>>().toEqualTypeOf<Events>()
    expectTypeOf<EventsOf<object>>().toEqualTypeOf<EventMap>()
  })
})

describe('BusProvider', () => {
  it('takes a typed bus (type alias or interface map) and renders children', () => {
    createElement(BusProvider, { bus: createBus<Events>() }, 'child')
    createElement(BusProvider, { bus: createBus<InterfaceEvents>() })
    // @ts-expect-error bus is required
    createElement(BusProvider, {})
  })

  it('its error is a TidingsError naming the hook', () => {
    expectTypeOf<BusProviderMissingError>().toMatchTypeOf<TidingsError>()
    expectTypeOf<BusProviderMissingError['hook']>().toBeString()
  })
})

describe('useObservable', () => {
  const bus = createBus<Events>()

  it('is the stream type, or the initial value type', () => {
    expectTypeOf(useObservable(bus.on('user.login'), undefined)).toEqualTypeOf<
      TidingsEvent<{ userId: string }, 'user.login'> | undefined
    >()
    expectTypeOf(useObservable(new BehaviorSubject(1), 0)).toEqualTypeOf<number>()
    expectTypeOf(useObservable({} as Observable<string>, null)).toEqualTypeOf<string | null>()
  })
})

describe('useSharedState / useLeader', () => {
  it("take @tidings/tabs' SharedState and LeaderElection as they are", () => {
    expectTypeOf<SharedState<string[]>>().toMatchTypeOf<SharedStateLike<string[]>>()
    expectTypeOf<LeaderElection>().toMatchTypeOf<LeaderLike>()
    const [list, setList] = useSharedState({} as SharedState<string[]>)
    expectTypeOf(list).toEqualTypeOf<string[]>()
    expectTypeOf(setList).toEqualTypeOf<SetSharedState<string[]>>()
    setList((l) => [...l, 'x'])
    // @ts-expect-error the value is a string[]
    setList([1])
    expectTypeOf(useLeader({} as LeaderElection)).toEqualTypeOf<boolean>()
  })
})
