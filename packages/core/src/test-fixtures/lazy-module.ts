// A module lazy.test.ts imports on demand (lazy() handlers): it records what it handled.
import type { TidingsEvent } from '../envelope.js'

export const handled: unknown[] = []

export default function handle(e: TidingsEvent): void {
  handled.push(e.data)
}

export function named(e: TidingsEvent): string {
  handled.push(['named', e.data])
  return `ok:${String(e.data)}`
}
