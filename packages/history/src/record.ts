// Event -> stored record: redacted data and an absolute expiry. Copies only when something
// changes, because IndexedDB clones the value on put anyway.
import type { TidingsEvent } from '@tidings/core'
import type { Redactor } from './redact.js'
import type { StoredRecord } from './schema.js'

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

export const isReplayed = (e: TidingsEvent): boolean => e.metadata !== undefined && e.metadata['replayed'] === true
