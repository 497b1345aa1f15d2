// processBounded(project, { concurrency, max, strategy }): mergeMap with a bounded buffer. At
// most `concurrency` projections run at once; up to `max` values wait; when the buffer is full the
// strategy decides, like a bus queue:
// - 'drop-oldest': the oldest waiting value is discarded (onDrop is told), the new one waits;
// - 'drop-newest': the new value is discarded (onDrop is told);
// - 'reject': the output errors with QueueFullError;
// - 'block': an Observable cannot pause its producer, so the new value waits outside the buffer
//   for up to blockTimeoutMs and enters it, in arrival order, as soon as there is room; if the
//   time passes first the output errors with QueueFullError.
import { asyncScheduler, from, Observable, type ObservableInput, type OperatorFunction, type SchedulerLike, Subscription } from 'rxjs'
import { RingQueue } from '../bounded-queue.js'
import { checkPositiveInt, normalizeQueue, type Strategy } from '../delivery-options.js'
import { QueueFullError } from '../errors.js'

export interface ProcessBoundedOptions<T> {
  /** Projections running at once. Default 1. */
  concurrency?: number
  /** Values waiting for a free slot. */
  max: number
  strategy: Strategy
  /** For 'block': how long a value may wait for room. Default 5000. */
  blockTimeoutMs?: number
  /** Told about every value a drop strategy discards. */
  onDrop?: (value: T, reason: 'drop-oldest' | 'drop-newest') => void
  scheduler?: SchedulerLike
  /** Names the stage in QueueFullError messages. Default 'processBounded'. */
  label?: string
}

interface Blocked<T> {
  value: T
  timer: Subscription
}

export function processBounded<T, R>(project: (value: T, index: number) => ObservableInput<R>, opts: ProcessBoundedOptions<T>): OperatorFunction<T, R> {
  if (typeof project !== 'function') throw new TypeError('processBounded(project, opts): project must be a function')
  const concurrency = opts?.concurrency === undefined ? 1 : checkPositiveInt(opts.concurrency, 'processBounded concurrency')
  const q = normalizeQueue({ max: opts?.max, strategy: opts?.strategy, blockTimeoutMs: opts?.blockTimeoutMs }, 'processBounded')
  const scheduler = opts.scheduler ?? asyncScheduler
  const label = opts.label ?? 'processBounded'

  return (source) =>
    new Observable<R>((subscriber) => {
      const buffer = new RingQueue<T>()
      const blocked: Blocked<T>[] = []
      const inner = new Subscription()
      let active = 0
      let index = 0
      let sourceDone = false
      let pumping = false
      let again = false

      const fail = (detail: string) => subscriber.error(new QueueFullError(label, [label], q.max, detail))

      const start = (value: T) => {
        active++
        let result: ObservableInput<R>
        try {
          result = project(value, index++)
        } catch (err) {
          subscriber.error(err)
          return
        }
        // A projection may complete synchronously, before subscribe() even returns.
        let s: Subscription | undefined
        let completed = false
        s = from(result).subscribe({
          next: (r) => subscriber.next(r),
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            completed = true
            active--
            if (s !== undefined) inner.remove(s)
            pump()
          },
        })
        if (!completed) inner.add(s)
      }

      const canStart = () => active < concurrency && buffer.size !== 0 && !subscriber.closed

      // Re-entrant calls (a projection that completes synchronously) loop here instead of
      // recursing.
      const pump = () => {
        if (pumping) {
          again = true
          return
        }
        pumping = true
        do {
          again = false
          while (canStart()) {
            start(buffer.shift() as T)
            const b = blocked.shift()
            if (b !== undefined) {
              b.timer.unsubscribe()
              buffer.push(b.value)
            }
          }
        } while (again)
        pumping = false
        if (sourceDone && active === 0 && buffer.size === 0 && blocked.length === 0) subscriber.complete()
      }

      const sub = source.subscribe({
        next: (value) => {
          if (buffer.size < q.max && blocked.length === 0) {
            buffer.push(value)
            pump()
            return
          }
          switch (q.strategy) {
            case 'drop-newest':
              opts.onDrop?.(value, 'drop-newest')
              return
            case 'drop-oldest': {
              const oldest = buffer.shift() as T
              buffer.push(value)
              opts.onDrop?.(oldest, 'drop-oldest')
              return
            }
            case 'reject':
              fail(' (reject)')
              return
            default: {
              const b: Blocked<T> = {
                value,
                timer: scheduler.schedule(() => fail(` (block timed out after ${q.blockTimeoutMs} ms)`), q.blockTimeoutMs),
              }
              blocked.push(b)
            }
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true
          pump()
        },
      })

      return () => {
        sub.unsubscribe()
        inner.unsubscribe()
        for (const b of blocked) b.timer.unsubscribe()
      }
    })
}
