// Helpers for request/reply tests across bridges (tabs, worker): a responder's reply patterns
// reach the requester with its presence, so a test asks until they have arrived.
import { NoResponderError, type Bus } from '@tidings/core'

/** Requests still tracked by the bus (request/dispatch entries); 0 once everything settled. */
export const pending = (bus: Bus): number => (bus as unknown as { pendingTracked: number }).pendingTracked

/** Asks until the responders' patterns have arrived (NoResponderError before), then returns the
 *  reply. Throws after `tries` × 10 ms without a responder. */
export async function served(bus: Bus, type: string, data: unknown, tries = 300): Promise<unknown> {
  for (let i = 0; i < tries; i++) {
    try {
      return await bus.request(type, data, { timeoutMs: 2000 })
    } catch (err) {
      if (!(err instanceof NoResponderError)) throw err
      await new Promise((r) => setTimeout(r, 10))
    }
  }
  throw new Error(`no responder for ${type} ever announced`)
}
