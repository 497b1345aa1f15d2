// Attaches a history to a bus. One observable subscription on every topic ('**' and system
// '$*.**') sees local publishes and events injected by bridges alike; a bounded "seen" map skips
// an event that reaches this context twice (two bridges, two buses), and the store's unique ids
// index keeps one copy when several contexts sharing the database record it. A publish ack makes publishAsync of a persistent event wait for its
// transaction.
import type { Bus, TidingsEvent } from '@tidings/core'
import type { Unsubscribable } from 'rxjs'
import { isReplayed } from './record.js'
import type { StoredRecord } from './schema.js'
import type { HistoryStats } from './types.js'
import type { Batch, Writer } from './writer.js'

const SEEN_MAX = 50_000

export interface CaptureDeps {
  writer: Writer
  shouldRecord: (type: string) => boolean
  toRecord: (e: TidingsEvent) => StoredRecord
  stats: HistoryStats
  /** A batch already failed with the reason writes are refused, if they are. */
  refusedBatch: () => Batch | undefined
}

export class Capture {
  /** id -> the batch holding it; bounded (insertion order = age). */
  private readonly seen = new Map<string, Batch>()

  private readonly deps: CaptureDeps
  constructor(deps: CaptureDeps) {
    this.deps = deps
  }

  attach(bus: Bus): Unsubscribable {
    const sub = bus.on(['**', '$*.**']).subscribe({ next: (e) => this.take(e) })
    const removeAck = bus.addPublishAck((e) => this.ack(e))
    return {
      unsubscribe: () => {
        sub.unsubscribe()
        removeAck()
      },
    }
  }

  take(e: TidingsEvent): void {
    if (e.persistent !== true && !this.deps.shouldRecord(e.type)) return
    if (isReplayed(e)) return
    if (this.seen.has(e.id)) {
      this.deps.stats.duplicates++
      return
    }
    const batch = this.deps.refusedBatch() ?? this.deps.writer.enqueue(this.deps.toRecord(e))
    this.seen.set(e.id, batch)
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.keys().next().value!)
  }

  ack(e: TidingsEvent): Promise<void> | undefined {
    if (e.persistent !== true) return undefined
    const b = this.seen.get(e.id)
    if (!b) return undefined
    return b.done.then(() => {
      const failure = b.failures?.get(e.id)
      if (failure) throw failure
    })
  }
}
