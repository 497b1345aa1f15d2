// Keeps what the live log and the throughput chart show: the last N events and a count of events
// per second. It listens from page load, so nothing is missed before the panel mounts, and it is
// bounded, so a long session or a burst does not grow memory.
import type { TidingsEvent } from '@tidings/core'
import { bus } from '../bus.ts'

export interface LogEntry {
  event: TidingsEvent
  /** Where the event came from: this tab, another tab, a worker, or a history replay. */
  via: string
  /** Running number: a stable list key even when a replay shows the same event id again. */
  n: number
}

const MAX_ENTRIES = 300
const SECONDS = 30

const entries: LogEntry[] = []
/** counts[i] = events seen in second (now - SECONDS + 1 + i). */
const counts = new Array<number>(SECONDS).fill(0)
let currentSecond = Math.floor(Date.now() / 1000)
let total = 0

/** Where an event came from, for the "via" column. */
function via(event: TidingsEvent): string {
  if (event.metadata?.['replayed']) return 'replay'
  return bus.bridgedBy(event) ?? 'local'
}

function roll(nowSecond: number): void {
  const shift = Math.min(nowSecond - currentSecond, SECONDS)
  for (let i = 0; i < shift; i++) {
    counts.shift()
    counts.push(0)
  }
  currentSecond = nowSecond
}

// '**' never matches system topics ($tidings.*), so handler failures are listened to explicitly.
bus.on(['**', '$tidings.error']).subscribe((event) => {
  roll(Math.floor(Date.now() / 1000))
  counts[SECONDS - 1]! += 1
  total++
  entries.push({ event, via: via(event), n: total })
  if (entries.length > MAX_ENTRIES) entries.splice(0, entries.length - MAX_ENTRIES)
})

/** Newest first. */
export function recentEntries(): readonly LogEntry[] {
  return entries.toReversed()
}

/** Events per second for the last SECONDS seconds, oldest first; the last one is still filling. */
export function throughput(): { perSecond: readonly number[]; total: number } {
  roll(Math.floor(Date.now() / 1000))
  return { perSecond: counts.slice(), total }
}
