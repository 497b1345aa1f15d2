// Errors @tidings/history throws or reports. All extend core's TidingsError so apps can match on
// `name` (stable across contexts) and every message says what to do next.
import { TidingsError } from '@tidings/core'

export class HistoryError extends TidingsError {
  override name = 'HistoryError'
}

/** Bad input to openHistory / query / replay / import. `option` names the input. */
export class InvalidHistoryInputError extends HistoryError {
  override name = 'InvalidHistoryInputError'
  declare readonly option: string
  declare readonly value: unknown
  constructor(
    option: string,
    value: unknown,
    rule: string,
  ) {
    super(`Invalid ${option} ${safeJson(value)}: ${rule}`)
    this.option = option
    this.value = value
  }
}

/** The browser refused the write because the origin's storage quota is used up. */
export class HistoryQuotaError extends HistoryError {
  override name = 'HistoryQuotaError'
  declare readonly dbName: string
  declare readonly events: number
  constructor(
    dbName: string,
    events: number,
    options?: { cause?: unknown },
  ) {
    super(
      `Storage quota exceeded while writing ${events} event(s) to IndexedDB "${dbName}"; they were delivered ` +
        `in memory but not stored. Free space (history.clear(), a lower maxEvents or defaultTtlMs) or ask for ` +
        `more with navigator.storage.persist().`,
      options,
    )
    this.dbName = dbName
    this.events = events
  }
}

/** A write transaction failed for another reason (the cause is attached). */
export class HistoryWriteError extends HistoryError {
  override name = 'HistoryWriteError'
  declare readonly dbName: string
  declare readonly events: number
  constructor(
    dbName: string,
    events: number,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not write ${events} event(s) to IndexedDB "${dbName}": ${detail}`, options)
    this.dbName = dbName
    this.events = events
  }
}

export type ClosedReason = 'closed' | 'versionchange' | 'deleted'

/** The history cannot be used any more. */
export class HistoryClosedError extends HistoryError {
  override name = 'HistoryClosedError'
  declare readonly dbName: string
  declare readonly reason: ClosedReason
  constructor(
    dbName: string,
    reason: ClosedReason,
    detail = '',
  ) {
    super(
      reason === 'closed'
        ? `History "${dbName}" is closed. Open a new one with openHistory().`
        : reason === 'versionchange'
          ? `History "${dbName}" closed its connection because another tab upgraded the database${detail}. ` +
            `Reload this tab to use the new version.`
          : `IndexedDB "${dbName}" was deleted${detail}. The history reopens it on the next write.`,
    )
    this.dbName = dbName
    this.reason = reason
  }
}

/** Opening (or upgrading) the database waited too long for another connection to close. */
export class HistoryBlockedError extends HistoryError {
  override name = 'HistoryBlockedError'
  declare readonly dbName: string
  declare readonly timeoutMs: number
  constructor(
    dbName: string,
    timeoutMs: number,
  ) {
    super(
      `Opening IndexedDB "${dbName}" was blocked for ${timeoutMs} ms by another connection (an older tab or ` +
        `code that ignores "versionchange"). Close the other tabs using this app, or raise blockedTimeoutMs.`,
    )
    this.dbName = dbName
    this.timeoutMs = timeoutMs
  }
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v)
    return s === undefined ? String(v) : s.length > 120 ? s.slice(0, 117) + '...' : s
  } catch {
    return String(v)
  }
}
