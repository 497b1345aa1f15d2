// Errors @tidings/history throws or reports. All extend core's TidingsError so apps can match on
// `name` (stable across contexts) and every message says what to do next.
import { TidingsError } from '@tidings/core'
import { describeError } from '@tidings/core/bridge'

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

export type ClosedReason = 'closed' | 'versionchange' | 'deleted' | 'detached'

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
        : reason === 'detached'
          ? `History "${dbName}" was detached from this bus (history.close(), or the attach handle's unsubscribe()) before this event reached it, so it was not stored. Await publishAsync before closing.`
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

/** One event's data could not be read (a getter threw, a revoked Proxy), cloned into IndexedDB or
 *  carried by the export encoding. Only that event is affected: its publishAsync rejects with
 *  this error (or the query skips it), the other events are stored, returned or exported.
 *  `path` starts at the envelope, like query paths: 'data.card.number', 'metadata.tag'. */
export class HistoryDataError extends HistoryError {
  override name = 'HistoryDataError'
  declare readonly eventId: string
  declare readonly eventType: string
  declare readonly path: string
  constructor(
    event: { id: string; type: string },
    path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Event ${event.id} (${event.type}) ${detail}`, options)
    this.eventId = event.id
    this.eventType = event.type
    this.path = path
  }
}

/** A path from core's encoding ('event.data.items[2]') relative to the envelope ('data.items[2]'). */
export const atEnvelope = (s: string): string => s.replace(/^event\.?/, '') || 'event'

/** Internal: reading user data at `path` threw. The caller, which knows the event, turns it into
 *  a HistoryDataError (dataError). */
export class ReadFailure extends Error {
  declare readonly path: string
  constructor(path: string, cause: unknown) {
    super(path, { cause })
    this.path = path
  }
}

/** The HistoryDataError for a read of `event`'s data that threw (`err`: a ReadFailure naming the
 *  path, or what a read threw). `what` says what became of the event ('was not recorded'). */
export function dataError(event: { id: string; type: string }, err: unknown, what: string): HistoryDataError {
  const { path = 'data', cause = err } = err instanceof ReadFailure ? err : {}
  return new HistoryDataError(event, path, `${what}: ${path} could not be read (${describeError(cause)}): a getter threw or it is a revoked Proxy`, { cause })
}

/** export() refused: some events hold values the export encoding cannot carry (a Blob, a File, a
 *  CryptoKey...: IndexedDB stores them, text cannot). `refused` lists each, with its path. */
export class HistoryExportError extends HistoryError {
  override name = 'HistoryExportError'
  declare readonly refused: readonly HistoryDataError[]
  constructor(refused: readonly HistoryDataError[]) {
    super(`Nothing was exported: ${refused.length} event(s) hold values text cannot carry (error.refused lists them). ${refused[0]!.message}`)
    this.refused = refused
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
