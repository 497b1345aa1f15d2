// Attaches a history to a bus. One observable subscription on every topic ('**' and system
// '$*.**') sees local publishes and events injected by bridges alike; a bounded "seen" map skips
// an event that reaches this context twice (two bridges, two buses), and the store's unique ids
// index keeps one copy when several contexts sharing the database record it. A publish ack makes
// publishAsync of a persistent event wait for its transaction.
//
// Detaching (and close()) must not leave an ack that lies: a publishAsync called before the
// detach may reach the bus after it (publishAsync delivers after a microtask, later with an async
// schema). So the subscription stops at once, but until the end of the task the ack records a
// persistent event it sees and the subscription did not, and it stays until what it took has
// committed: each of those acks waits for the commit like any other. Reading an event (its metadata, the redaction) may throw (a getter,
// a revoked Proxy): that event alone is refused with a HistoryDataError, which its ack rejects with.
import type { Bus, TidingsEvent } from '@tidings/core'
import { bridgeHost } from '@tidings/core/bridge'
import type { Connection } from './connection.js'
import { dataError, HistoryClosedError, type HistoryError } from './errors.js'
import { isReplayed, type StoredRecord } from './record.js'
import type { HistoryStats } from './types.js'
import { newBatch, type Batch, type Writer } from './writer.js'

const SEEN_MAX = 50_000

export interface CaptureDeps {
  dbName: string
  writer: Writer
  conn: Connection
  shouldRecord: (type: string) => boolean
  toRecord: (e: TidingsEvent) => StoredRecord
  stats: HistoryStats
  onError(e: HistoryError): void
}

/** A recording of one bus: `detach()` stops it and resolves once no publishAsync that started
 *  before can reach it any more. */
export interface Attachment {
  detach(): Promise<void>
}

/** A batch that failed before it was written. */
const failed = (e: HistoryError): Batch => {
  const b = newBatch()
  b.reject(e)
  return b
}

/** Resolves when `b` has committed `e`; rejects with the batch's error or `e`'s own. */
const settled = (e: TidingsEvent, b: Batch): Promise<void> =>
  b.done.then(() => {
    const failure = b.failures?.get(e.id)
    if (failure) throw failure
  })

/** Returns attach(bus): starts recording `bus` until the attachment is detached. */
export function createCapture({ dbName, writer, conn, shouldRecord, toRecord, stats, onError }: CaptureDeps): (bus: Bus) => Attachment {
  /** id -> the batch holding it; bounded (insertion order = age). */
  const seen = new Map<string, Batch>()
  /** A batch already failed with the reason writes are refused (one per reason). */
  let refused: { error: HistoryClosedError; batch: Batch } | undefined

  const take = (e: TidingsEvent): void => {
    let batch: Batch
    try {
      if ((e.persistent !== true && !shouldRecord(e.type)) || isReplayed(e)) return
      if (seen.has(e.id)) {
        stats.duplicates++
        return
      }
      const error = conn.refused()
      if (error) {
        if (refused?.error !== error) refused = { error, batch: failed(error) }
        stats.failed++
        batch = refused.batch
      } else batch = writer.enqueue(toRecord(e))
    } catch (err) {
      // Reading the event threw (metadata, redaction): refuse it alone.
      const error = dataError(e, err, 'was not recorded')
      stats.failed++
      onError(error)
      batch = failed(error)
    }
    seen.set(e.id, batch)
    if (seen.size > SEEN_MAX) seen.delete(seen.keys().next().value!)
  }

  return (bus) => {
    const host = bridgeHost(bus, 'history.attach(bus)')
    let draining = false
    let gone = false
    const ack = (e: TidingsEvent): Promise<void> | undefined => {
      if (e.persistent !== true) return undefined
      // publishAsync took this ack when it was called, but the event reached the bus only after
      // the detach had finished (an async schema, a 'block' queue): say it was not stored.
      if (gone && !seen.has(e.id)) return Promise.reject(new HistoryClosedError(dbName, 'detached'))
      // Published before the detach, delivered after it: record it now.
      if (draining && !seen.has(e.id)) take(e)
      const b = seen.get(e.id)
      return b && settled(e, b)
    }
    const sub = host.on(['**', '$*.**']).subscribe(take)
    const removeAck = host.addPublishAck(ack)
    let detached: Promise<void> | undefined
    return {
      detach() {
        if (detached) return detached
        sub.unsubscribe()
        draining = true
        // Every publishAsync of this task (and the microtasks it spawns) has reached its ack by
        // the next task; the ack stays until what it took has committed.
        detached = new Promise((resolve) => setTimeout(resolve, 0))
          .then(() => {
            draining = false
            return writer.flush().catch(() => {})
          })
          .then(() => {
            gone = true
            removeAck()
          })
        return detached
      },
    }
  }
}
