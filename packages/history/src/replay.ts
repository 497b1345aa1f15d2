// Re-publishes stored events in their original order, instantly or with the original spacing
// scaled by `speed`. Replayed events get new ids and carry metadata.replayed = true and
// metadata.replayOf = the original id, so handlers can tell and history never stores them again.
import { AbortedError, type Bus, type EventMap, type PublishInput, type TidingsEvent } from '@tidings/core'
import { InvalidHistoryInputError } from './errors.js'
import type { ReplayOptions, ReplayResult } from './types.js'

/** What a replayed event keeps besides type and data (id, origin, seq and timestamp are new). */
const KEPT = ['correlationId', 'causationId', 'source', 'priority', 'persistent', 'ttlMs'] as const

export function checkSpeed(speed: ReplayOptions['speed']): 'instant' | number {
  const s = speed ?? 'instant'
  if (s !== 'instant' && !(typeof s === 'number' && s > 0 && Number.isFinite(s)))
    throw new InvalidHistoryInputError('replay speed', speed, "must be 'instant' or a positive factor (1 = original timing, 10 = ten times faster)")
  return s
}

const aborted = () => new AbortedError('replay was aborted')

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted())
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(aborted())
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export function replayed(e: TidingsEvent): PublishInput<EventMap, string> {
  const input: Record<string, unknown> = {
    type: e.type,
    data: e.data,
    metadata: { ...e.metadata, replayed: true, replayOf: e.id, replayOfTimestamp: e.timestamp },
  }
  for (const f of KEPT) if (e[f] !== undefined) input[f] = e[f]
  return input as unknown as PublishInput<EventMap, string>
}

/** Publishes the events of `pages` (oldest first) with `speed` (checked by the caller). */
export async function replayPages(bus: Bus, pages: AsyncIterable<TidingsEvent[]>, speed: 'instant' | number, signal: AbortSignal | undefined): Promise<ReplayResult> {
  let n = 0
  let prev: number | undefined
  for await (const page of pages) {
    for (const e of page) {
      if (signal?.aborted) throw aborted()
      if (speed !== 'instant' && prev !== undefined && e.timestamp > prev) await sleep((e.timestamp - prev) / speed, signal)
      prev = e.timestamp
      await bus.publishAsync(replayed(e))
      n++
    }
  }
  return { replayed: n }
}
