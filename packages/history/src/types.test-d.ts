// What query() and stream() return is typed by the event map given to openHistory<M>(), by the
// query's type pattern, as bus.subscribe() types its events; without a map, data is unknown.
import type { TidingsEvent } from '@tidings/core'
import type { Observable } from 'rxjs'
import { describe, expectTypeOf, it } from 'vitest'
import { openHistory } from './history.js'

type Shop = {
  'order.created': { id: string; total: number }
  'order.paid': { id: string; amount: number }
  'cart.item': { sku: string }
}

describe('History<M>', () => {
  it('types query() results by the exact type or pattern', async () => {
    const history = openHistory<Shop>({ dbName: 'types' })
    const created = await history.query({ type: 'order.created' })
    expectTypeOf(created).toEqualTypeOf<Array<TidingsEvent<{ id: string; total: number }, 'order.created'>>>()
    expectTypeOf(created[0]!.data.total).toEqualTypeOf<number>()
    const orders = await history.query({ type: 'order.*', limit: 10 })
    expectTypeOf(orders[0]!.type).toEqualTypeOf<'order.created' | 'order.paid'>()
    const all = await history.query()
    expectTypeOf(all[0]!.type).toEqualTypeOf<'order.created' | 'order.paid' | 'cart.item'>()
    expectTypeOf(history.stream({ type: 'cart.item' })).toEqualTypeOf<Observable<TidingsEvent<{ sku: string }, 'cart.item'>>>()
  })

  it('leaves data unknown without a map', async () => {
    const history = openHistory({ dbName: 'untyped' })
    const events = await history.query({ type: 'order.created' })
    expectTypeOf(events[0]!.data).toEqualTypeOf<unknown>()
  })
})
