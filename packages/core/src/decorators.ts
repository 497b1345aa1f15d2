// Standard (TC39, 2023-11) decorators for classes whose methods handle or publish events
// (docs/core.md "Decorators"): `@subscribeTo(pattern, opts)` and `@publishes(type, opts)`, brought
// to life by `bus.register(instance)`. They are plain functions: this package ships no decorator
// syntax, only the app's own classes use `@`. Nothing here is bundled unless imported.
//
// Each decorated method files a hook for every instance as it is constructed (addInitializer);
// bus.register(instance) runs the hooks (registrations.ts). Until then, and after the returned
// handle's unsubscribe(), calling a decorated method throws NotRegisteredError.
import type { Unsubscribable } from 'rxjs'
import { NotRegisteredError, toError } from './errors.js'
import { readsCtx } from './handler-context.js'
import { registerHooks, type RegisterHook } from './registrations.js'
import { emitSystemEvent } from './system-events.js'
import type { Bus, EventFor, EventMap, EventMapOf, HandlerContext, Patterns, PublishOptions, SubscribeOptions } from './types.js'

/** The bus each registered instance publishes to (the last one that registered it). */
const owners = new WeakMap<object, Bus>()

/** A method type checked bivariantly (like a method declaration), so a handler may declare a
 *  narrower event than the pattern's: the typed event map still rejects unrelated data types. */
type Method<This, A extends unknown[], R> = { m(this: This, ...args: A): R }['m']

/** What `@subscribeTo(...)` applies to a method. */
export type SubscribeDecorator<E, M extends EventMapOf<M>> = <This, F extends Method<This, [event: E, ctx: HandlerContext<M>], unknown>>(
  method: F,
  context: ClassMethodDecoratorContext<This, F>,
) => F

/** What `@publishes(type)` applies to a method: its (awaited) result must be the type's data. */
export type PublishDecorator<T> = <This, A extends unknown[], R extends T | PromiseLike<T>>(
  method: (this: This, ...args: A) => R,
  context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>,
) => (this: This, ...args: A) => R

/** The two decorators typed by an event map: `const { subscribeTo, publishes } = decoratorsFor<Events>()`. */
export interface Decorators<M extends EventMapOf<M>> {
  subscribeTo<P extends string>(pattern: Patterns<P>, opts?: SubscribeOptions<EventFor<M, P>>): SubscribeDecorator<EventFor<M, P>, M>
  publishes<K extends keyof M & string>(type: K, opts?: PublishOptions): PublishDecorator<M[K]>
}

/** Plain JavaScript can apply a decorator anywhere: refuse what is not a method, naming it. */
function checkMethod(decorator: string, context: { kind: string; name: string | symbol }): void {
  if (context.kind !== 'method') throw new TypeError(`@${decorator} decorates methods, not the ${context.kind} ${String(context.name)}`)
}

function addHook(instance: object, hook: RegisterHook): void {
  let hooks = registerHooks.get(instance)
  if (hooks === undefined) {
    // The first hook of an instance makes the registering bus its owner, until unregistered.
    registerHooks.set(
      instance,
      (hooks = [
        (bus) => {
          owners.set(instance, bus)
          return { unsubscribe: () => owners.get(instance) === bus && owners.delete(instance) }
        },
      ]),
    )
  }
  hooks.push(hook)
}

function ownerOf(instance: unknown, method: string): Bus {
  const bus = owners.get(instance as object)
  if (bus === undefined) throw new NotRegisteredError(method)
  return bus
}

/** `Class.method` (or `method` when `this` is no object), for errors and `$tidings.error`. */
function nameOf(instance: unknown, context: ClassMethodDecoratorContext): string {
  const cls = typeof instance === 'function' ? instance : (instance as object | null)?.constructor
  const method = String(context.name)
  return cls?.name ? `${cls.name}.${method}` : method
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function'
}

/**
 * Subscribes the decorated method to `pattern` (or several) with every subscribe option, once its
 * instance is registered: `bus.register(instance)`. The method runs with `this` bound to the
 * instance and receives `(event, ctx)` like any handler. Calling the method yourself before
 * register throws NotRegisteredError.
 */
export function subscribeTo<P extends string>(pattern: Patterns<P>, opts?: SubscribeOptions<EventFor<EventMap, P>>): SubscribeDecorator<EventFor<EventMap, P>, EventMap> {
  return ((method: (this: unknown, ...args: unknown[]) => unknown, context: ClassMethodDecoratorContext) => {
    checkMethod('subscribeTo', context)
    context.addInitializer(function (this: unknown) {
      const instance = this as object
      addHook(instance, (bus): Unsubscribable => {
        // A handler of one parameter is called without a ctx (none is built: readsCtx).
        const handler = readsCtx(method) ? (e: unknown, ctx: unknown) => method.call(instance, e, ctx) : (e: unknown) => method.call(instance, e)
        return bus.subscribe(pattern, handler as never, opts as never)
      })
    })
    return function (this: unknown, ...args: unknown[]) {
      ownerOf(this, nameOf(this, context))
      return method.apply(this, args)
    }
  }) as unknown as SubscribeDecorator<EventFor<EventMap, P>, EventMap>
}

/**
 * Publishes the decorated method's result (awaited when it is a promise) as `type`, with `opts`
 * (source, priority, ...), on the bus its instance is registered on. The method returns what it
 * returned before. If it throws (or its promise rejects), nothing is published, `$tidings.error`
 * reports it with `method: 'Class.method'`, and the error still reaches the caller. Calling it
 * before bus.register(instance) throws NotRegisteredError.
 */
export function publishes<K extends string>(type: K, opts?: PublishOptions): PublishDecorator<unknown> {
  return ((method: (this: unknown, ...args: unknown[]) => unknown, context: ClassMethodDecoratorContext) => {
    checkMethod('publishes', context)
    context.addInitializer(function (this: unknown) {
      // Registering is what lets the method publish: its hook only needs the owner hook.
      addHook(this as object, () => ({ unsubscribe() {} }))
    })
    return function (this: unknown, ...args: unknown[]) {
      const name = nameOf(this, context)
      const bus = ownerOf(this, name)
      const failed = (err: unknown): never => {
        const error = toError(err)
        emitSystemEvent(bus, '$tidings.error', () => ({ name: error.name, message: error.message, method: name }))
        throw err
      }
      let result: unknown
      try {
        result = method.apply(this, args)
      } catch (err) {
        failed(err)
      }
      if (!isThenable(result)) {
        bus.publish(type, result, opts)
        return result
      }
      return Promise.resolve(result).then((value) => {
        bus.publish(type, value, opts)
        return value
      }, failed)
    }
  }) as unknown as PublishDecorator<unknown>
}

/** subscribeTo and publishes typed by the event map `M` (the bus's): patterns, handler events
 *  and published data are checked against it. The same functions at run time. */
export function decoratorsFor<M extends EventMapOf<M>>(): Decorators<M> {
  return { subscribeTo, publishes } as unknown as Decorators<M>
}
