// Re-publishes stored events in their original order, instantly or with the original spacing
// scaled by `speed`. Replayed events get new ids and carry metadata.replayed = true and
// metadata.replayOf = the original id, so handlers can tell and history never stores them again.
import { AbortedError, type Bus, type EventMap, type PublishInput, type TidingsEvent } from '@tidings/core'
import { InvalidHistoryInputError } from './errors.js'
import type { ReplayOptions, ReplayResult } from './types.js'

export function checkSpeed(speed: ReplayOptions['speed']): 'instant' | number {
  const s = speed ?? 'instant'
  if (s !== 'instant' && !(typeof s === 'number' && s > 0 && Number.isFinite(s)))
    throw new InvalidHistoryInputError('replay speed', speed, "must be 'instant' or a positive factor (1 = original timing, 10 = ten times faster)")
  return s
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError('replay was aborted'))
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(new AbortedError('replay was aborted'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export function replayed(e: TidingsEvent): PublishInput<EventMap, string> {
  const input: PublishInput<EventMap, string> = {
    type: e.type,
    data: e.data,
    metadata: { ...e.metadata, replayed: true, replayOf: e.id, replayOfTimestamp: e.timestamp },
  }
  if (e.correlationId !== undefined) input.correlationId = e.correlationId
  if (e.causationId !== undefined) input.causationId = e.causationId
  if (e.source !== undefined) input.source = e.source
  if (e.priority !== undefined) input.priority = e.priority
  if (e.persistent !== undefined) input.persistent = e.persistent
  if (e.ttlMs !== undefined) input.ttlMs = e.ttlMs
  return input
}

export async function replayPages(bus: Bus, pages: AsyncIterable<TidingsEvent[]>, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const speed = checkSpeed(opts.speed)
  const signal = opts.signal
  let n = 0
  let prev: number | undefined
  for await (const page of pages) {
    for (const e of page) {
      if (signal?.aborted) throw new AbortedError('replay was aborted')
      if (speed !== 'instant' && prev !== undefined && e.timestamp > prev) await sleep((e.timestamp - prev) / speed, signal)
      prev = e.timestamp
      await bus.publishAsync(replayed(e))
      n++
    }
  }
  return { replayed: n }
}
