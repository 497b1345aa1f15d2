// Marble tests (rxjs/testing TestScheduler, virtual time) for every operator.
import { concatMap, delay, of, take, throwError, timer, map } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { createBus, InvalidOptionError, InvalidTopicError, QueueFullError, type TidingsEvent } from '../index.js'
import { batch, ofType, processBounded } from './index.js'

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected))

// Each projection takes 3 frames and emits the value upper-cased.
const slow = (v: string) => of(v.toUpperCase()).pipe(delay(3))

const ev = (type: string, data: unknown = type): TidingsEvent => ({ id: type, type, timestamp: 0, version: 1, data, origin: 'o', seq: 0 })

describe('ofType', () => {
  it('keeps events whose type matches the pattern(s), in order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const values = { a: ev('user.login'), b: ev('user.logout'), c: ev('order.placed'), d: ev('user.profile.saved'), e: ev('$tidings.error') }
      const source = cold('a-b-c-d-e-|', values)
      expectObservable(source.pipe(ofType('user.*'))).toBe('a-b-------|', values)
      expectObservable(source.pipe(ofType(['user.**', 'order.placed']))).toBe('a-b-c-d---|', values)
      expectObservable(source.pipe(ofType('**'))).toBe('a-b-c-d---|', values)
      expectObservable(source.pipe(ofType('$tidings.*'))).toBe('--------e-|', values)
    })
  })

  it('works on bus.on() streams and rejects bad patterns when the pipe is built', () => {
    const bus = createBus()
    const got: string[] = []
    bus.on('**').pipe(ofType('a.{x,y}')).subscribe((e) => got.push(e.type))
    for (const t of ['a.x', 'a.z', 'a.y', 'b.x']) bus.publish(t)
    expect(got).toEqual(['a.x', 'a.y'])
    expect(() => ofType('a..b')).toThrow(InvalidTopicError)
  })
})

describe('batch', () => {
  it('emits when max values are collected', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abcdefg|').pipe(batch({ max: 3 }))).toBe('--x--y-(z|)', {
        x: ['a', 'b', 'c'],
        y: ['d', 'e', 'f'],
        z: ['g'],
      })
    })
  })

  it('emits timeMs after the first value of a batch; never an empty batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a at 0 -> flush at 5 with a,b; c at 10 -> flush at 15; quiet after that.
      expectObservable(cold('a-b-------c---------|').pipe(batch({ timeMs: 5 }))).toBe('-----x---------y----|', {
        x: ['a', 'b'],
        y: ['c'],
      })
    })
  })

  it('whichever comes first: max or timeMs', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('abc----d-----|').pipe(batch({ max: 2, timeMs: 4 }))).toBe('-x----y----z-|', {
        x: ['a', 'b'],
        y: ['c'],
        z: ['d'],
      })
    })
  })

  it('passes errors through and drops the unfinished batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('ab#').pipe(batch({ max: 5, timeMs: 10 }))).toBe('--#')
    })
  })

  it('checks its options', () => {
    expect(() => batch({})).toThrow(InvalidOptionError)
    expect(() => batch({ max: 0 })).toThrow('batch max')
    expect(() => batch({ timeMs: -1 })).toThrow('batch timeMs')
  })
})

describe('processBounded', () => {
  it('runs at most `concurrency` projections, buffering the rest in order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold('abcd|').pipe(processBounded(slow, { concurrency: 2, max: 10, strategy: 'reject' }))
      // a,b start at 0,1 and finish at 3,4; c,d start then and finish at 6,7.
      expectObservable(out).toBe('---AB-C(D|)', { A: 'A', B: 'B', C: 'C', D: 'D' })
    })
  })

  it('drop-oldest: a full buffer discards the oldest waiting value', () => {
    const dropped: unknown[] = []
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold('abcde|').pipe(processBounded(slow, { max: 2, strategy: 'drop-oldest', onDrop: (v, r) => dropped.push([v, r]) }))
      // a runs (0-3); b,c wait; d arrives at 3 just before a finishes and evicts b; c runs
      // 3-6, d 6-9, e (room by then) 9-12.
      expectObservable(out).toBe('---A--C--D--(E|)', { A: 'A', C: 'C', D: 'D', E: 'E' })
    })
    expect(dropped).toEqual([['b', 'drop-oldest']])
  })

  it('drop-newest: a full buffer discards the new value', () => {
    const dropped: unknown[] = []
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold('abcde|').pipe(processBounded(slow, { max: 2, strategy: 'drop-newest', onDrop: (v, r) => dropped.push([v, r]) }))
      // a runs (0-3); b,c wait; d arrives at 3 while the buffer is still full and is dropped;
      // e at 4 finds room (b started at 3).
      expectObservable(out).toBe('---A--B--C--(E|)', { A: 'A', B: 'B', C: 'C', E: 'E' })
    })
    expect(dropped).toEqual([['d', 'drop-newest']])
  })

  it('reject: a full buffer errors the output with QueueFullError', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold('abcd|').pipe(processBounded(slow, { max: 2, strategy: 'reject', label: 'thumbs' }))
      expectObservable(out).toBe('---#', undefined, new QueueFullError('thumbs', ['thumbs'], 2, ' (reject)'))
    })
  })

  it('block: an overflow value waits for room (in order) up to blockTimeoutMs', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a runs (0-3); b waits in the buffer; c waits outside it and enters at 3 when b starts.
      const out = cold('abc|').pipe(processBounded(slow, { max: 1, strategy: 'block', blockTimeoutMs: 10 }))
      expectObservable(out).toBe('---A--B--(C|)', { A: 'A', B: 'B', C: 'C' })
    })
  })

  it('block: errors with QueueFullError when no room comes in time', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold('abc|').pipe(processBounded(slow, { max: 1, strategy: 'block', blockTimeoutMs: 2 }))
      // c arrives at 2 and may wait until 4; room frees at 3 (a done, b starts), so it makes it.
      // Below, d arrives at 3 behind c; the next room comes at 6, after its deadline at 5.
      expectObservable(out).toBe('---A--B--(C|)', { A: 'A', B: 'B', C: 'C' })
      const late = cold('abcd|').pipe(processBounded(slow, { max: 1, strategy: 'block', blockTimeoutMs: 2 }))
      expectObservable(late).toBe('---A-#', { A: 'A' }, new QueueFullError('processBounded', ['processBounded'], 1, ' (block timed out after 2 ms)'))
    })
  })

  it('passes project errors through and completes only after the last projection', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const failing = (v: string) => (v === 'b' ? throwError(() => new Error('bad b')) : slow(v))
      expectObservable(cold('ab|').pipe(processBounded(failing, { concurrency: 2, max: 5, strategy: 'reject' }))).toBe('-#', undefined, new Error('bad b'))
      expectObservable(cold('a|').pipe(processBounded(slow, { max: 5, strategy: 'reject' }))).toBe('---(A|)', { A: 'A' })
    })
  })

  it('works with promises and synchronous projections without recursion limits', async () => {
    const out: number[] = []
    await new Promise<void>((resolve) =>
      timer(0)
        .pipe(
          concatMap(() => of(...Array.from({ length: 20_000 }, (_, i) => i))),
          processBounded((v: number) => of(v * 2), { concurrency: 1, max: 100_000, strategy: 'reject' }),
          map((v) => out.push(v)),
          take(20_000),
        )
        .subscribe({ complete: resolve }),
    )
    expect(out.length).toBe(20_000)
    expect(out[19_999]).toBe(39_998)
    const viaPromise: string[] = []
    await new Promise<void>((resolve) =>
      of('x', 'y')
        .pipe(processBounded(async (v: string) => v + '!', { concurrency: 2, max: 1, strategy: 'reject' }))
        .subscribe({ next: (v) => viaPromise.push(v), complete: resolve }),
    )
    expect(viaPromise.sort()).toEqual(['x!', 'y!'])
  })
})
