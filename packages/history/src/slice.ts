// Bounded slices for reads: a read checks in between buckets and pages, and once it has held the
// thread for SLICE_MS it waits for the next task (scheduler.yield where it exists, else a
// MessageChannel message, never a clamped timer), so a scan of a million events never blocks the
// page for more than about one slice plus one page's decode. Aborting the signal stops the read
// at the next check with core's AbortedError (as replay does).
import { AbortedError } from '@tidings/core'
import type { HistoryProgress, ReadOptions } from './types.js'

/** Main-thread work per task before a read yields, in ms. */
export const SLICE_MS = 8

export interface Slicer {
  /** Events examined and events matched so far (progress). */
  readonly p: HistoryProgress
  /** A new task has begun (an IndexedDB success event): the slice restarts. */
  fresh(): void
  /** Throws when aborted; waits for the next task when the slice is used up. */
  pause(): Promise<void>
  /** Tells onProgress. */
  report(): void
}

const nextTask = (): Promise<void> => {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler
  if (s?.yield) return s.yield()
  return new Promise((resolve) => {
    const ch = new MessageChannel()
    // onmessage also starts the port (addEventListener would need start()).
    // oxlint-disable-next-line unicorn/prefer-add-event-listener
    ch.port1.onmessage = () => {
      ch.port1.close()
      resolve()
    }
    ch.port2.postMessage(0)
  })
}

export function slicer(opts: ReadOptions = {}): Slicer {
  const { signal, onProgress } = opts
  const p: HistoryProgress = { scanned: 0, matched: 0 }
  let start = performance.now()
  const check = () => {
    if (signal?.aborted) throw new AbortedError('history read was aborted')
  }
  return {
    p,
    fresh: () => void (start = performance.now()),
    async pause() {
      check()
      if (performance.now() - start < SLICE_MS) return
      await nextTask()
      start = performance.now()
      check()
    },
    report: () => onProgress?.({ ...p }),
  }
}
