// Attaches a history to a bus. One observable subscription on every topic ('**' and system
// '$*.**') sees local publishes and events injected by bridges alike; a bounded "seen" map skips
// an event that reaches this context twice (two bridges, two buses), and the store's unique ids
// index keeps one copy when several contexts sharing the database record it. A publish ack makes
// publishAsync of a persistent event wait for its transaction.
import type { Bus, TidingsEvent } from '@tidings/core'
import type { Unsubscribable } from 'rxjs'
import type { Connection } from './connection.js'
import type { HistoryClosedError } from './errors.js'
import { isReplayed, type StoredRecord } from './record.js'
import type { HistoryStats } from './types.js'
import { newBatch, type Batch, type Writer } from './writer.js'

const SEEN_MAX = 50_000

export interface CaptureDeps {
  writer: Writer
  conn: Connection
  shouldRecord: (type: string) => boolean
  toRecord: (e: TidingsEvent) => StoredRecord
  stats: HistoryStats
}

/** Returns attach(bus): starts recording `bus` until the handle is unsubscribed. */
export function createCapture({ writer, conn, shouldRecord, toRecord, stats }: CaptureDeps): (bus: Bus) => Unsubscribable {
  /** id -> the batch holding it; bounded (insertion order = age). */
  const seen = new Map<string, Batch>()
  /** A batch already failed with the reason writes are refused (one per reason). */
  let refused: { error: HistoryClosedError; batch: Batch } | undefined

  const take = (e: TidingsEvent): void => {
    if ((e.persistent !== true && !shouldRecord(e.type)) || isReplayed(e)) return
    if (seen.has(e.id)) {
      stats.duplicates++
      return
    }
    const error = conn.refused()
    let batch: Batch
    if (error) {
      if (refused?.error !== error) {
        refused = { error, batch: newBatch() }
        refused.batch.reject(error)
      }
      stats.failed++
      batch = refused.batch
    } else batch = writer.enqueue(toRecord(e))
    seen.set(e.id, batch)
    if (seen.size > SEEN_MAX) seen.delete(seen.keys().next().value!)
  }

  const ack = (e: TidingsEvent): Promise<void> | undefined => {
    const b = e.persistent === true ? seen.get(e.id) : undefined
    return b?.done.then(() => {
      const failure = b.failures?.get(e.id)
      if (failure) throw failure
    })
  }

  return (bus) => {
    const sub = bus.on(['**', '$*.**']).subscribe(take)
    const removeAck = bus.addPublishAck(ack)
    return {
      unsubscribe() {
        sub.unsubscribe()
        removeAck()
      },
    }
  }
}
