// Owns the IndexedDB connection and its lifecycle faults:
// - another tab upgrades the database ("versionchange"): write what is pending, close, and refuse
//   further writes with HistoryClosedError('versionchange') (the schema may no longer be ours);
// - the database is deleted while open: write what is pending (the delete waits for us), close,
//   and reopen (recreate) on the next use;
// - the browser terminates the connection: reopen on the next use;
// - our own open is blocked by an older connection: fail after blockedTimeoutMs with a clear error.
import { openDB, unwrap, type IDBPDatabase } from 'idb'
import { HistoryBlockedError, HistoryClosedError, type HistoryError } from './errors.js'
import { createSchema, hasSchema, type HistoryDB } from './schema.js'
import type { HistoryStatus } from './types.js'

export type DB = IDBPDatabase<HistoryDB>

export class Connection {
  status: HistoryStatus = 'opening'
  private db: DB | undefined
  private opening: Promise<DB> | undefined
  private closedError: HistoryClosedError | undefined
  /** An open we stopped waiting for; it is still queued, and any new open would queue behind it. */
  private abandoned: Promise<void> | undefined
  /** Called synchronously before the connection closes for another tab, so pending writes start
   *  on it (transactions created before close() still complete). */
  beforeClose: (db: IDBDatabase) => void = () => {}

  readonly dbName: string
  private readonly blockedTimeoutMs: number
  private readonly emit: (e: HistoryError) => void
  constructor(
    dbName: string,
    blockedTimeoutMs: number,
    emit: (e: HistoryError) => void,
  ) {
    this.dbName = dbName
    this.blockedTimeoutMs = blockedTimeoutMs
    this.emit = emit
  }

  /** The open database, (re)opening it if needed. */
  get(): Promise<DB> {
    if (this.db) return Promise.resolve(this.db)
    if (this.closedError) return Promise.reject(this.closedError)
    this.opening ??= this.open().finally(() => (this.opening = undefined))
    return this.opening
  }

  /** The raw open database when there is one (hot paths avoid a promise hop). */
  current(): IDBDatabase | undefined {
    return this.db ? unwrapDb(this.db) : undefined
  }

  /** Why writes are refused, if they are. */
  refused(): HistoryClosedError | undefined {
    return this.closedError
  }

  close(): void {
    this.closedError = new HistoryClosedError(this.dbName, 'closed')
    this.status = 'closed'
    this.db?.close()
    this.db = undefined
  }

  private async open(): Promise<DB> {
    this.status = 'opening'
    if (this.abandoned) {
      await this.withBlockedTimeout(this.abandoned)
      if (this.db) return this.db
    }
    let db = await this.openVersion(undefined)
    if (!hasSchema(unwrapDb(db))) {
      // The database exists without our stores (created by other code): add them in an upgrade.
      const next = db.version + 1
      db.close()
      db = await this.openVersion(next)
    }
    if (this.closedError) {
      db.close()
      throw this.closedError
    }
    this.db = db
    this.status = 'open'
    return db
  }

  private openVersion(version: number | undefined): Promise<DB> {
    let timer: ReturnType<typeof setTimeout> | undefined
    let gaveUp = false
    let rejectBlocked!: (e: Error) => void
    const blocked = new Promise<never>((_, reject) => (rejectBlocked = reject))
    const opened = openDB<HistoryDB>(this.dbName, version, {
      upgrade: (db, _old, _new, tx) => createSchema(unwrapDb(db), unwrapTx(tx)),
      blocked: () => {
        timer ??= setTimeout(() => {
          gaveUp = true
          this.abandoned = opened.then(
            () => {},
            () => {},
          )
          rejectBlocked(new HistoryBlockedError(this.dbName, this.blockedTimeoutMs))
        }, this.blockedTimeoutMs)
      },
      blocking: (_current, next) => this.onVersionChange(next),
      terminated: () => this.onLost('terminated'),
    })
    // If we gave up waiting, the open may still succeed once the other connection closes: adopt
    // it then (the schema is in place), so the history recovers without a reload.
    opened.then(
      (db) => {
        if (!gaveUp) return
        this.abandoned = undefined
        if (this.closedError || this.db) db.close()
        else {
          this.db = db
          this.status = 'open'
        }
      },
      () => {
        if (gaveUp) this.abandoned = undefined
      },
    )
    return Promise.race([opened, blocked]).finally(() => clearTimeout(timer))
  }

  private withBlockedTimeout(p: Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HistoryBlockedError(this.dbName, this.blockedTimeoutMs)), this.blockedTimeoutMs)
    })
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
  }

  private onVersionChange(newVersion: number | null): void {
    const db = this.db
    if (!db) return
    this.beforeClose(unwrapDb(db))
    db.close()
    this.db = undefined
    if (newVersion === null) {
      this.onLost('deleted')
    } else {
      this.closedError = new HistoryClosedError(this.dbName, 'versionchange', ` to version ${newVersion}`)
      this.status = 'versionchange'
      this.emit(this.closedError)
    }
  }

  private onLost(why: 'deleted' | 'terminated'): void {
    this.db = undefined
    if (this.closedError) return
    this.status = 'opening'
    this.emit(new HistoryClosedError(this.dbName, 'deleted', why === 'terminated' ? ' (the browser closed the connection)' : ''))
  }
}

export const unwrapDb = (db: DB): IDBDatabase => unwrap(db) as IDBDatabase
const unwrapTx = (tx: unknown): IDBTransaction => unwrap(tx as Parameters<typeof unwrap>[0]) as unknown as IDBTransaction
