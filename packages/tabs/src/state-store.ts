// IndexedDB persistence of shared state (via idb): one record per key, written only when its
// stamp is newer than the stored one, inside one readwrite transaction, so tabs that persist the
// same state concurrently can never put an older value over a newer one.
import { openDB, type IDBPDatabase } from 'idb'
import { compareStamps, isStamp, type Stamp } from './hlc.js'

export interface StoredState {
  value: unknown
  stamp: Stamp
}

const STORE = 'values'

export class StateStore {
  #db: Promise<IDBPDatabase> | undefined

  readonly dbName: string
  constructor(dbName: string) {
    this.dbName = dbName
  }

  #open(): Promise<IDBPDatabase> {
    this.#db ??= openDB(this.dbName, 1, {
      upgrade(db) {
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE)
      },
      // Another tab wants a newer schema: let it, and reopen on next use.
      blocking: () => {
        void this.#db?.then((d) => d.close())
        this.#db = undefined
      },
      terminated: () => {
        this.#db = undefined
      },
    })
    return this.#db
  }

  async load(key: string): Promise<StoredState | undefined> {
    const db = await this.#open()
    const rec: unknown = await db.get(STORE, key)
    if (typeof rec !== 'object' || rec === null || !isStamp((rec as StoredState).stamp)) return undefined
    return rec as StoredState
  }

  /** Writes unless a newer stamp is stored. Returns whether it wrote. */
  async save(key: string, state: StoredState): Promise<boolean> {
    const db = await this.#open()
    const tx = db.transaction(STORE, 'readwrite')
    const store = tx.objectStore(STORE)
    const old: unknown = await store.get(key)
    const oldStamp = (old as StoredState | undefined)?.stamp
    const write = !isStamp(oldStamp) || compareStamps(state.stamp, oldStamp) > 0
    if (write) await store.put(state, key)
    await tx.done
    return write
  }

  close(): void {
    void this.#db?.then((d) => d.close())
    this.#db = undefined
  }
}
