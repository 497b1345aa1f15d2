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

/** Set while the bus hands an event to an Observable subscriber; holds what observers threw. */
let delivering = false
let thrown: unknown[] | undefined

/** Hands `event` to an Observable subscriber; an observer that threw makes this throw, so the
 *  SyncSubscription reports it like any failed handler (several throws: all are reported). */
export function deliverTo(subscriber: Subscriber<TidingsEvent>, sub: BaseSubscription, event: TidingsEvent): void {
  const outerDelivering = delivering
  const outerThrown = thrown
  delivering = true
  thrown = undefined
  let caught: unknown[] | undefined
  try {
    subscriber.next(event)
  } finally {
    caught = thrown as unknown[] | undefined
    delivering = outerDelivering
    thrown = outerThrown
  }
  if (caught !== undefined) {
    for (let i = 0; i < caught.length - 1; i++) sub.fail(event, caught[i], 1, true)
    throw caught[caught.length - 1]
  }
}

/** Runs an observer's next; a throw during a bus delivery is kept for deliverTo(). Outside one
 *  (an asynchronous operator emitting later) it is left to RxJS, as for any Observable. */
function guard<T>(next: NextFn<T>, self?: unknown): NextFn<T> {
  return (value) => {
    try {
      next.call(self, value)
    } catch (err) {
      if (!delivering) throw err
      ;(thrown ??= []).push(err)
    }
  }
}

type ObserverArg<T> = Partial<Observer<T>> | NextFn<T> | null | undefined

export class BusObservable<T> extends Observable<T> {
  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const lifted = new BusObservable<R>()
    lifted.source = this
    lifted.operator = operator
    return lifted
  }

  override subscribe(observerOrNext?: ObserverArg<T>, error?: ((e: unknown) => void) | null, complete?: (() => void) | null): Subscription {
    let o = observerOrNext
    if (typeof o === 'function') o = guard(o)
    // A Subscriber (an operator's, firstValueFrom's) never throws from next: RxJS routes it.
    else if (o != null && typeof o.next === 'function' && typeof (o as Partial<Subscription>).unsubscribe !== 'function') {
      const partial = o
      o = { next: guard(partial.next!, partial) }
      if (partial.error) o.error = (e) => partial.error!(e)
      if (partial.complete) o.complete = () => partial.complete!()
    }
    // (RxJS reads `error` and `complete` only next to a function, as here.)
    return super.subscribe(o as NextFn<T>, error, complete)
  }
}
