// The same work with EventEmitter2's emitAsync and a plain RxJS mergeMap pipeline.
import EventEmitter2 from 'eventemitter2'
import { Subject, map, mergeMap } from 'rxjs'
import { expectCount, measureRateAsync, noop, type RateResult } from '../harness.ts'
import { BURST } from './burst.ts'
import { withTimeout } from './not-available.ts'

interface Work {
  n: number
}
const TIMEOUT_MS = 60_000

async function lanes(ops: number, inFlight: number, call: (i: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: inFlight }, async (_, lane) => {
      for (let i = lane; i < ops; i += inFlight) await call(i)
    }),
  )
}

/** emitAsync resolves when the async listener has finished: `concurrency` emits in flight. */
export function ee2AsyncThroughput(concurrency: number, ops: number): Promise<RateResult> {
  const ee = new EventEmitter2({ wildcard: true, delimiter: '.' })
  let handled = 0
  let sum = 0
  ee.on('work.item', async (x: Work) => {
    sum += x.n
    handled++
  })
  const payload: Work = { n: 1 }
  return measureRateAsync(async (n) => {
    handled = 0
    sum = 0
    await lanes(n, concurrency, async () => {
      await ee.emitAsync('work.item', payload)
    })
    expectCount('handled', handled, n)
    expectCount('payload sum', sum, n)
  }, ops)
}

/** subject.pipe(mergeMap(asyncHandler, concurrency)) fed in the same bursts as Tidings' queue; mergeMap
 *  buffers what it cannot start yet. */
export function rxjsAsyncThroughput(concurrency: number, ops: number): Promise<RateResult> {
  const subject = new Subject<Work>()
  let handled = 0
  let sum = 0
  let target = 0
  let done: () => void = noop
  subject
    .pipe(
      mergeMap(async (x) => {
        sum += x.n
      }, concurrency),
    )
    .subscribe(() => {
      if (++handled === target) done()
    })
  const payload: Work = { n: 1 }
  return measureRateAsync(async (n) => {
    handled = 0
    sum = 0
    for (let start = 0; start < n; start += BURST) {
      target = Math.min(n, start + BURST)
      const finished = new Promise<void>((r) => (done = r))
      for (let i = start; i < target; i++) subject.next(payload)
      await withTimeout(finished, TIMEOUT_MS, `${target} events through mergeMap`)
    }
    expectCount('handled', handled, n)
    expectCount('payload sum', sum, n)
  }, ops)
}

/** emitAsync returns the listeners' results: a request/reply round trip that is a direct call of
 *  the listener, with no correlation id, event envelope, timeout or check for a responder. */
export function ee2RequestReply(inFlight: number, ops: number): Promise<RateResult> {
  const ee = new EventEmitter2({ wildcard: true, delimiter: '.' })
  let handled = 0
  ee.on('rpc.double', (x: Work) => {
    handled++
    return x.n * 2
  })
  return measureRateAsync(async (n) => {
    handled = 0
    await lanes(n, inFlight, async (i) => {
      const [r] = (await ee.emitAsync('rpc.double', { n: i })) as number[]
      if (r !== i * 2) throw new Error(`request ${i} got ${String(r)}, expected ${i * 2}`)
    })
    expectCount('requests answered', handled, n)
  }, ops)
}

/** Request and reply Subjects with correlation ids and a pending-promise map (no timeout). */
export function rxjsRequestReply(inFlight: number, ops: number): Promise<RateResult> {
  const requests = new Subject<{ id: number; n: number }>()
  const replies = new Subject<{ id: number; value: number }>()
  const pending = new Map<number, (value: number) => void>()
  let handled = 0
  requests.pipe(map((r) => (handled++, { id: r.id, value: r.n * 2 }))).subscribe(replies)
  replies.subscribe((r) => {
    const resolve = pending.get(r.id)
    pending.delete(r.id)
    resolve?.(r.value)
  })
  let nextId = 0
  const request = (n: number) =>
    new Promise<number>((resolve) => {
      const id = nextId++
      pending.set(id, resolve)
      requests.next({ id, n })
    })
  return measureRateAsync(async (n) => {
    handled = 0
    await lanes(n, inFlight, async (i) => {
      const r = await request(i)
      if (r !== i * 2) throw new Error(`request ${i} got ${r}, expected ${i * 2}`)
    })
    expectCount('requests answered', handled, n)
    expectCount('pending requests left', pending.size, 0)
  }, ops)
}
