// The Observable bus.on() returns. RxJS catches what an observer's `next` throws and rethrows it
// on a timer (an uncaughtException in Node, an error event in a page), where the bus never sees
// it. Here an observer's throw during a delivery is caught and becomes that Observable
// subscription's handler failure instead: errors$, '$tidings.error', stats().errors, and the
// other observers and subscribers still get the event. pipe() keeps the class (lift), so the
// observer at the end of `bus.on(p).pipe(map(...))` is covered too.
import { Observable, type Observer, type Operator, type Subscriber, type Subscription } from 'rxjs'
import type { TidingsEvent } from './envelope.js'
import type { BaseSubscription } from './subscription.js'

type NextFn<T> = (value: T) => void

/** While the bus hands an event to an Observable subscriber: what its observers threw (null:
 *  nothing yet). Undefined outside such a delivery. */
let thrown: unknown[] | null | undefined

/** Hands `event` to an Observable subscriber; an observer that threw makes this throw, so the
 *  SyncSubscription reports it like any failed handler (several throws: all are reported). */
export function deliverTo(subscriber: Subscriber<TidingsEvent>, sub: BaseSubscription, event: TidingsEvent): void {
  const outer = thrown
  let caught: unknown[] | null | undefined
  thrown = null
  try {
    subscriber.next(event)
  } finally {
    caught = thrown as unknown[] | null
    thrown = outer
  }
  if (caught) {
    const last = caught.pop()
    for (const err of caught) sub.fail(event, err, 1, true)
    throw last
  }
}

/** Runs an observer's next; a throw during a bus delivery is kept for deliverTo(). Outside one
 *  (an asynchronous operator emitting later) it is left to RxJS, as for any Observable. */
function guard<T>(next: NextFn<T>): NextFn<T> {
  return (value) => {
    try {
      next(value)
    } catch (err) {
      if (thrown === undefined) throw err
      ;(thrown ??= []).push(err)
    }
  }
}

export class BusObservable<T> extends Observable<T> {
  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const lifted = new BusObservable<R>()
    lifted.source = this
    lifted.operator = operator
    return lifted
  }

  override subscribe(o?: Partial<Observer<T>> | NextFn<T> | null, error?: ((e: unknown) => void) | null, complete?: (() => void) | null): Subscription {
    // A Subscriber (an operator's, firstValueFrom's) is passed on: its next never throws. An
    // observer object keeps its `this`.
    return super.subscribe(
      (typeof o === 'function'
        ? guard(o)
        : o?.next && !(o as Partial<Subscription>).unsubscribe
          ? { next: guard(o.next.bind(o)), error: o.error?.bind(o), complete: o.complete?.bind(o) }
          : o) as NextFn<T>,
      // (RxJS reads `error` and `complete` only next to a function.)
      error,
      complete,
    )
  }
}
