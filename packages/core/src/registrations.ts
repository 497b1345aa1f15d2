// What bus.register(instance) reads: the hooks the decorators (decorators.ts) file for each
// instance when it is constructed. Kept apart from decorators.ts, so createBus() bundles this
// WeakMap and not the decorators.
import type { Unsubscribable } from 'rxjs'
import type { Bus } from './types.js'

/** One per decorated method of an instance (plus one that records the owning bus): subscribes it
 *  to `bus`, or makes it publish there. */
export type RegisterHook = (bus: Bus) => Unsubscribable

export const registerHooks = new WeakMap<object, RegisterHook[]>()
