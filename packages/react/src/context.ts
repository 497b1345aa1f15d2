// The bus a component tree uses: <BusProvider bus={bus}> puts it in context, useBus() reads it.
// No JSX in this package's source (createElement instead), so it compiles the same whatever JSX
// runtime the app's tsconfig names (the repo's own is Preact's).
import { createContext, createElement, useContext, type ReactElement, type ReactNode } from 'react'
import { TidingsError, type Bus, type EventMap, type EventMapOf } from '@tidings/core'

/**
 * Register your bus's event map once, and every hook is typed by it:
 *
 * ```ts
 * declare module '@tidings/react' {
 *   interface Register { events: AppEvents }   // the M of createBus<AppEvents>()
 * }
 * ```
 * Without it the hooks take the plain `EventMap` (any topic, `unknown` data), unless given one
 * explicitly (`useBus<AppEvents>()`, `useEvent<'task.*', AppEvents>(...)`) or through
 * `typedHooks<AppEvents>()`. Register only in an app: the augmentation is global to the program.
 */
export interface Register {}

/** The event map registered through `Register`, or `EventMap` when none is. */
export type RegisteredEvents = EventsOf<Register>

/** `R['events']` if R has one, else `EventMap`. */
export type EventsOf<R> = R extends { events: infer M } ? M : EventMap

/** A hook that needs the bus ran outside <BusProvider>. */
export class BusProviderMissingError extends TidingsError {
  override name = 'BusProviderMissingError'
  /** The hook that was called, e.g. 'useEvent()'. */
  readonly hook: string
  constructor(hook: string) {
    super(
      `${hook} was called outside <BusProvider>: render this component inside ` +
        "<BusProvider bus={bus}> (import { BusProvider } from '@tidings/react'), " +
        'e.g. root.render(<BusProvider bus={bus}><App /></BusProvider>).',
    )
    this.hook = hook
  }
}

const BusContext = createContext<Bus | null>(null)
BusContext.displayName = 'TidingsBus'

export interface BusProviderProps<M extends EventMapOf<M> = EventMap> {
  bus: Bus<M>
  children?: ReactNode
}

/** Makes `bus` the bus of every hook below it. */
export function BusProvider<M extends EventMapOf<M>>({ bus, children }: BusProviderProps<M>): ReactElement {
  return createElement(BusContext.Provider, { value: bus as unknown as Bus }, children)
}

/** The bus of the nearest <BusProvider>; throws BusProviderMissingError outside one. */
export function useBus<M extends EventMapOf<M> = RegisteredEvents>(): Bus<M> {
  return requireBus<M>('useBus()')
}

/** useBus() that names the calling hook in its error. */
export function requireBus<M extends EventMapOf<M>>(hook: string): Bus<M> {
  const bus = useContext(BusContext)
  if (!bus) throw new BusProviderMissingError(hook)
  return bus as unknown as Bus<M>
}
