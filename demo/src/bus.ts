// The one bus of this tab. Every panel imports it; bridges (tabs, worker, history, devtools) attach
// to it in main.tsx.
import { createBus, type Bus } from '@tidings/core'
import type { DemoEvents } from './events.ts'

export const bus = createBus<DemoEvents>({ name: 'demo', source: { component: 'task-board' } })

/** The same bus, untyped, for APIs that take a plain `Bus` (history's attach and replay): a typed
 *  bus only accepts its own topics, so TypeScript will not pass it where any topic may be used. */
export const untypedBus = bus as unknown as Bus

/** A short, readable name for an origin id ("tab 3f9a"). */
export function shortOrigin(origin: string): string {
  return origin.slice(-4)
}
