// Event <-> stored record: redacted data and an absolute expiry on the way in (copying only when
// something changes, because IndexedDB clones the value on put anyway), the expiry stripped on the
// way out.
import type { TidingsEvent } from '@tidings/core'
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

export const isReplayed = (e: TidingsEvent): boolean => e.metadata?.['replayed'] === true

export function fromRecord(r: StoredRecord): TidingsEvent {
  if (r.expiresAt === undefined) return r
  const { expiresAt: _expiresAt, ...event } = r
  return event
}
