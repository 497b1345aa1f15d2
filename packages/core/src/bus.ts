// The bus, in layers that each add one concept to the one below:
// - PublishingBus (publishing.ts): envelopes, routing and delivery, schemas, guards, acks, handler
//   failures and inspection; the publish hot path;
// - SubscribingBus (subscribing.ts): on(), subscribe(), reply(), inbox() and the subscription list;
// - TrackingBus (tracked-calls.ts): dispatch() and request(), which wait for handlers' outcomes;
// - TidingsBus (here): schedules, the event registry and typed handles, stats and shutdown.
// Everything else (queues, retries, inboxes) is built on subscriptions (subscription.ts).
import type { Observable } from 'rxjs'
import type { TidingsEvent } from './envelope.js'
import { BusClosedError, QueueFullError } from './errors.js'
import { startSchedule } from './schedule.js'
import type { StandardSchemaV1 } from './schema.js'
import { TrackingBus } from './tracked-calls.js'
import { assertPattern, assertTopic } from './topic.js'
import { registerHooks } from './registrations.js'
import { VERSION } from './system-events.js'
import type { Bus, BusOptions, BusStats, EventMap, EventMapOf, Registration, ScheduledEvent, ScheduleOptions, TypedEventHandle } from './types.js'

export function createBus<M extends EventMapOf<M> = EventMap>(options: BusOptions<M> = {}): Bus<M> {
  const bus = new TidingsBus<M>(options)
  // In a microtask, so subscribers added synchronously right after createBus() get it.
  queueMicrotask(() => bus.sys && bus.systemEvent('$tidings.bus.started', { name: bus.name, origin: bus.origin, version: VERSION }))
  return bus
}

export class TidingsBus<M extends EventMapOf<M> = EventMap> extends TrackingBus<M> implements Bus<M> {
  schedule(type: string, data: unknown, opts: ScheduleOptions): ScheduledEvent {
    if (this.closed) throw new BusClosedError(this.name, 'schedule')
    assertTopic(type)
    // Checked once up front, so a tick cannot fail on data or keys later.
    const value = this.validate(type, data, true)
    if (this.guarded) this.guards.checkPublish(type, opts?.key)
    return startSchedule(
      opts,
      () => {
        try {
          this.publishInternal(type, value, opts, undefined)
        } catch (err) {
          // A full 'reject' queue is already counted and inspected; anything else is logged,
          // never thrown out of a timer into the app.
          if (!(err instanceof QueueFullError)) console.error('[tidings] scheduled publish failed', err)
        }
      },
      this.shutdownHooks,
    )
  }

  // ---------------------------------------------------------------- registry, handles, guards

  event<K extends keyof M & string>(type: K): TypedEventHandle<M[K], K, M> {
    return createEventHandle(this, type)
  }

  define(type: string, def?: { schema?: StandardSchemaV1; description?: string }): void {
    this.registry.define(type, def)
    this.replan()
  }

  undefine(type: string): boolean {
    const had = this.registry.undefine(type)
    this.replan()
    return had
  }

  events() {
    return this.registry.list()
  }

  guard(pattern: string, keys: { publishKey?: string; subscribeKey?: string }): void {
    assertPattern(pattern)
    this.guards.add(pattern, keys)
    this.guarded = true
    this.replan()
  }

  /** Subscribes every @subscribeTo method of `instance` and lets its @publishes methods publish
   *  here (decorators.ts); the handle undoes both. */
  register(instance: object): Registration {
    const hooks = registerHooks.get(instance)
    if (hooks === undefined) throw new TypeError('register(): no @subscribeTo or @publishes method on it')
    const subs = hooks.map((hook) => hook(this as unknown as Bus))
    const unsubscribe = () => subs.forEach((s) => s.unsubscribe())
    return { unsubscribe, [Symbol.dispose]: unsubscribe }
  }

  stats(): BusStats {
    return { published: this.seq, ...this.counters, subscriptions: this.subs.size }
  }

  // ---------------------------------------------------------------- shutdown

  async shutdown(opts: { drainTimeoutMs?: number; reason?: string } = {}): Promise<{ drained: number; undelivered: number }> {
    if (this.closed) return { drained: 0, undelivered: 0 }
    this.closed = true
    this.replan()
    for (const hook of this.shutdownHooks) hook()
    this.shutdownHooks.clear()
    const deadline = Date.now() + (opts.drainTimeoutMs ?? 5000)
    let drained = 0
    let undelivered = 0
    for (const r of await Promise.all(this.subs.list().map((s) => s.drain(deadline)))) {
      drained += r.drained
      undelivered += r.undelivered
    }
    // The last event: its queued subscribers get until the same deadline to take it.
    if (this.sys) {
      const routes = this.index.match('$tidings.bus.shutdown')
      this.systemEvent('$tidings.bus.shutdown', { reason: opts.reason ?? 'shutdown()', graceful: undelivered === 0, drained, dropped: undelivered })
      await Promise.all(routes.map((s) => s.drain(deadline)))
    }
    for (const s of this.subs.list()) s.unsubscribe()
    // Dispatches and requests still waiting now will never be answered.
    for (const t of [...this.trackers.values()]) t.shutdown(this.name)
    this.deadlines.stop()
    this.failures.complete()
    return { drained, undelivered }
  }
}

function createEventHandle<M extends EventMapOf<M>, K extends keyof M & string>(bus: Bus<M>, type: K): TypedEventHandle<M[K], K, M> {
  type E = TidingsEvent<M[K], K>
  return {
    type,
    publish: (data, opts) => bus.publish(type, data, opts),
    on: (opts) => bus.on(type, opts as never) as unknown as Observable<E>,
    subscribe: (handler, opts) => bus.subscribe(type, handler as never, opts as never),
    subscriberCount: () => bus.subscriberCount(type),
  }
}
