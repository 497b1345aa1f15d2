// Promises over raw IndexedDB requests and transactions. Awaiting one keeps its transaction
// usable: the continuation runs in the microtask checkpoint of the request's success event,
// while the transaction is still active, so the next request can be issued in it.

/** Settles with the request's next success or error. A cursor request fires again after
 *  `continue()`, so calling this again on it waits for the next row: the handlers are
 *  properties, replaced on each call, so a long cursor walk does not pile up listeners. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    // oxlint-disable-next-line unicorn/prefer-add-event-listener
    req.onsuccess = () => resolve(req.result)
    // oxlint-disable-next-line unicorn/prefer-add-event-listener
    req.onerror = () => reject(req.error)
  })
}

/** Settles with the transaction. Never unhandled: a failed request may be awaited first. */
export function txDone(tx: IDBTransaction): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    tx.addEventListener('complete', () => resolve())
    tx.addEventListener('abort', () => reject(tx.error ?? new Error('transaction aborted')))
  })
  done.catch(() => {})
  return done
}
