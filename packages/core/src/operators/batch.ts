// batch({ max, timeMs }): groups values into arrays of at most `max`, emitted when full or
// `timeMs` after the first value of the batch arrived (an inbox's receiveBatch for streams; see
// "Operators" in docs/delivery.md). Never emits an empty array; the rest is flushed on complete.
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'
import { checkPositiveInt, checkTimeout, InvalidOptionError } from '../delivery-options.js'

export interface BatchOptions {
  /** Emit once this many values are collected. Default: no size limit (timeMs must be given). */
  max?: number
  /** Emit this long after the first value of a batch. Default: no time limit (max must be given). */
  timeMs?: number
  scheduler?: SchedulerLike
}

export function batch<T>(opts: BatchOptions): OperatorFunction<T, T[]> {
  const max = opts?.max === undefined ? Infinity : checkPositiveInt(opts.max, 'batch max')
  const timeMs = opts?.timeMs === undefined ? undefined : checkTimeout(opts.timeMs, 'batch timeMs')
  if (max === Infinity && timeMs === undefined) throw new InvalidOptionError('batch', opts, '{ max } or { timeMs } (or both)')
  const scheduler = opts.scheduler ?? asyncScheduler
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let buffer: T[] = []
      let timer: Subscription | undefined
      const flush = () => {
        timer?.unsubscribe()
        timer = undefined
        if (buffer.length === 0) return
        const out = buffer
        buffer = []
        subscriber.next(out)
      }
      const sub = source.subscribe({
        next: (value) => {
          buffer.push(value)
          if (buffer.length >= max) flush()
          else if (timeMs !== undefined && timer === undefined) timer = scheduler.schedule(flush, timeMs)
        },
        error: (err: unknown) => {
          timer?.unsubscribe()
          subscriber.error(err)
        },
        complete: () => {
          flush()
          subscriber.complete()
        },
      })
      return () => {
        timer?.unsubscribe()
        sub.unsubscribe()
      }
    })
}
