// What cannot cross to a worker, as a typed error: UncloneableDataError names the event's type,
// the path of the first value structured clone refuses (findUncloneableInEvent, from core's bridge layer, finds it) and what it is.
import type { TidingsEvent } from '@tidings/core'
import { findUncloneableInEvent, toError } from '@tidings/core/bridge'
import { UncloneableDataError } from './errors.js'

/** The uncloneable value in an event's data or metadata, as a typed error; a value that throws
 *  when read counts as uncloneable too (never an exception out of the bus observer). */
export function checkCloneable(e: TidingsEvent): UncloneableDataError | undefined {
  try {
    const bad = findUncloneableInEvent(e.data, e.metadata)
    return bad === undefined ? undefined : new UncloneableDataError(e.type, bad.path, bad.kind, e.id)
  } catch (err) {
    return new UncloneableDataError(e.type, 'data', `value that throws when read (${toError(err).message})`, e.id)
  }
}

export function uncloneableError(e: TidingsEvent, reason: string): UncloneableDataError {
  return checkCloneable(e) ?? new UncloneableDataError(e.type, 'data', reason, e.id)
}

/** Throws UncloneableDataError if `data` (or `metadata`) cannot cross to a worker. For code that
 *  wants to check before publishing at all. */
export function assertCloneable(type: string, data: unknown, metadata?: Record<string, unknown>): void {
  const bad = findUncloneableInEvent(data, metadata)
  if (bad !== undefined) throw new UncloneableDataError(type, bad.path, bad.kind)
}
