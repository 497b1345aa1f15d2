// The one bus of this tab. Every module imports it; the bridges (tabs, worker, history, devtools)
// attach to it once, in their own modules.
import { createBus } from '@tidings/core'
// The log filter accepts every glob form, braces and classes included.
import '@tidings/core/globs'
import type { DemoEvents } from './events.ts'

export const bus = createBus<DemoEvents>({ name: 'demo', source: { component: 'task-board' } })

/** A short, readable name for an origin id ("tab 3f9a"). */
export function shortOrigin(origin: string): string {
  return origin.slice(-4)
}
