// Owns the IndexedDB connection and its lifecycle faults:
// - another tab upgrades the database ("versionchange"): write what is pending, close, and refuse
//   further writes with HistoryClosedError('versionchange') (the schema may no longer be ours);
// - the database is deleted while open: write what is pending (the delete waits for us), close,
//   and reopen (recreate) on the next use;
// - the browser terminates the connection: reopen on the next use;
// - our own open is blocked by an older connection: fail after blockedTimeoutMs with a clear error.
import { openDB, unwrap } from 'idb'
import { HistoryBlockedError, HistoryClosedError, type HistoryError } from './errors.js'
import { heal } from './meta.js'
import { createSchema, hasSchema, STORE } from './schema.js'
import type { HistoryStatus } from './types.js'

export interface Connection {
  readonly status: HistoryStatus
  /** The open database, (re)opening it if needed. */
  get(): Promise<IDBDatabase>
  /** The open database when there is one (hot paths avoid a promise hop). */
  current(): IDBDatabase | undefined
  /** Why writes are refused, if they are. */
  refused(): HistoryClosedError | undefined
  close(): void
}

/** `beforeClose` is called synchronously before the connection closes for another tab, so
 *  pending writes start on it (transactions created before close() still complete). */
export function connect(dbName: string, blockedTimeoutMs: number, emit: (e: HistoryError) => void, beforeClose: (db: IDBDatabase) => void): Connection {
  let status: HistoryStatus = 'opening'
  let db: IDBDatabase | undefined
  let opening: Promise<IDBDatabase> | undefined
  let closedError: HistoryClosedError | undefined
  /** An open we stopped waiting for; it is still queued, and any new open would queue behind it. */
  let abandoned: Promise<unknown> | undefined

  const adopt = (opened: IDBDatabase) => {
    db = opened
    status = 'open'
    return opened
  }

  /** `p`, or HistoryBlockedError when blockedTimeoutMs pass after `arm` starts the clock. */
  const unlessBlocked = <T>(p: Promise<T>, arm: (start: () => void) => void, onGiveUp = () => {}): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const blocked = new Promise<never>((_, reject) =>
      arm(() => {
        timer ??= setTimeout(() => {
          onGiveUp()
          reject(new HistoryBlockedError(dbName, blockedTimeoutMs))
        }, blockedTimeoutMs)
      }),
    )
    return Promise.race([p, blocked]).finally(() => clearTimeout(timer))
  }

  const openVersion = (version: number | undefined): Promise<IDBDatabase> => {
    let gaveUp = false
    let onBlocked: (() => void) | undefined
    // idb's openDB turns the open request and its upgrade/blocked/versionchange/close events into
    // one promise plus callbacks; the reads and writes then use the plain IDBDatabase (unwrap),
    // because the segment code batches raw requests in one transaction.
    const opened = openDB(dbName, version, {
      upgrade: (d, _old, _new, tx) => createSchema(unwrap(d) as IDBDatabase, unwrap(tx) as unknown as IDBTransaction),
      blocked: () => onBlocked?.(),
      blocking: (_current, next) => onVersionChange(next),
      terminated: () => onLost(' (the browser closed the connection)'),
    }).then((d) => unwrap(d) as IDBDatabase)
    // If we gave up waiting, the open may still succeed once the other connection closes: adopt
    // it then (the schema is in place), so the history recovers without a reload.
    opened.then(
      (d) => {
        if (!gaveUp) return
        abandoned = undefined
        if (closedError || db) d.close()
        else adopt(d)
      },
      () => {
        if (gaveUp) abandoned = undefined
      },
    )
    return unlessBlocked(
      opened,
      (start) => (onBlocked = start),
      () => {
        gaveUp = true
        abandoned = opened.catch(() => {})
      },
    )
  }

  const open = async (): Promise<IDBDatabase> => {
    status = 'opening'
    if (abandoned) {
      await unlessBlocked(abandoned, (start) => start())
      if (db) return db
    }
    let opened = await openVersion(undefined)
    if (!hasSchema(opened)) {
      // The database exists without our stores (created by other code): add them in an upgrade.
      opened.close()
      opened = await openVersion(opened.version + 1)
    }
    // The maintained count: checked in O(1), rebuilt once if missing or stale (meta.ts).
    await heal(opened, STORE).catch((e: unknown) => {
      opened.close()
      throw e
    })
    if (closedError) {
      opened.close()
      throw closedError
    }
    return adopt(opened)
  }

  const onVersionChange = (newVersion: number | null): void => {
    if (!db) return
    beforeClose(db)
    db.close()
    if (newVersion === null) return onLost('')
    db = undefined
    closedError = new HistoryClosedError(dbName, 'versionchange', ` to version ${newVersion}`)
    status = 'versionchange'
    emit(closedError)
  }

  /** The database was deleted (or the browser closed the connection): reopen on the next use. */
  const onLost = (detail: string): void => {
    db = undefined
    if (closedError) return
    status = 'opening'
    emit(new HistoryClosedError(dbName, 'deleted', detail))
  }

  return {
    get status() {
      return status
    },
    get: () => (db ? Promise.resolve(db) : closedError ? Promise.reject(closedError) : (opening ??= open().finally(() => (opening = undefined)))),
    current: () => db,
    refused: () => closedError,
    close() {
      closedError = new HistoryClosedError(dbName, 'closed')
      status = 'closed'
      db?.close()
      db = undefined
    },
  }
}
