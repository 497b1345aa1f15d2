// What a failed pool call becomes on the page, loaded with import() on a page's first failed call
// (pool.ts): most pages never pay for it up front. A handler's thrown Error is rebuilt with its
// fields and cause chain, a thrown non-Error becomes NonErrorThrownError, a DataCloneError of
// the page's own post names the field it could not copy, and anything else is passed on as is.
import type { TidingsEvent } from '@tidings/core'
import { findUncloneableInEvent, toError } from '@tidings/core/bridge'
import { NonErrorThrownError, UncloneableDataError } from './errors.js'
import { readThrown } from './pool-protocol.js'

/** The page-side Error for a call of `handler` with `event` that failed with `err`: `fromWorker`
 *  when the worker's promise rejected (else the page's own post threw). `malformed` is called for
 *  a rejection of ours this page cannot read. Never throws. */
export function readFailure(handler: string, event: TidingsEvent, err: unknown, fromWorker: boolean, malformed: () => void): Error {
  if (fromWorker) {
    const read = readThrown(err)
    if (read instanceof Error) return read
    if (read === 'malformed') {
      malformed()
      return new Error(`Worker handler "${handler}" failed with an error in a form this page cannot read`)
    }
    if (read !== 'foreign') return new NonErrorThrownError(handler, read.text, read.value, read.uncloneable)
  }
  // Not ours: Comlink's own errors, or postMessage refusing the arguments.
  const e = toError(err)
  if (e.name !== 'DataCloneError') return e
  // postMessage's DataCloneError names no field: say which one, like the event bridge does.
  const bad = findUncloneableInEvent(event.data, event.metadata)
  return bad === undefined ? e : new UncloneableDataError(event.type, bad.path, bad.kind, event.id, 'the worker pool')
}
