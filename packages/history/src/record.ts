// Event <-> stored record: redacted data and an absolute expiry on the way in (copying only when
// something changes, because IndexedDB clones the value on put anyway), the expiry stripped on the
// way out.
import type { TidingsEvent } from '@tidings/core'
import { ReadFailure } from './errors.js'
import type { Redactor } from './redact.js'

/** What is stored per event: the envelope (data redacted) plus when it expires. */
export type StoredRecord = TidingsEvent & { expiresAt?: number }

export function makeToRecord(redact: Redactor | undefined, defaultTtlMs: number | undefined): (e: TidingsEvent) => StoredRecord {
  return (e) => {
    const ttl = e.ttlMs ?? defaultTtlMs
    if (!redact && ttl === undefined) return e
    const r: StoredRecord = { ...e }
    if (redact) r.data = redact(e.data)
    if (ttl !== undefined) r.expiresAt = e.timestamp + ttl
    return r
  }
}

export const isExpired = (r: StoredRecord, now: number): boolean => (r.expiresAt ?? Infinity) <= now

/** Replayed events are never recorded. Reads the metadata: throws ReadFailure if that throws. */
export function isReplayed(e: TidingsEvent): boolean {
  try {
    return e.metadata?.['replayed'] === true
  } catch (err) {
    throw new ReadFailure('metadata.replayed', err)
  }
}

export function fromRecord(r: StoredRecord): TidingsEvent {
  if (r.expiresAt === undefined) return r
  const { expiresAt: _expiresAt, ...event } = r
  return event
}
