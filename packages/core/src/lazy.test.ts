// lazy() handlers: the module loads on the first matching event; events wait for it in order,
// within the queue's bounds; a failed load fails every waiting event and the next event retries.
import { describe, expect, it } from 'vitest'
import { createBus } from './bus.js'
import type { TidingsEvent } from './envelope.js'
import { LazyLoadError } from './errors.js'
import { lazy } from './lazy.js'
import type { HandlerFailure } from './types.js'

const tick = () => new Promise((r) => setTimeout(r, 0))

/** A loader the test settles by hand: load() returns the current attempt's promise. */
function manualLoader(mod: { default: (e: TidingsEvent) => void }) {
  const attempts: { resolve(): void; reject(e: unknown): void }[] = []
  const load = () =>
    new Promise<typeof mod>((resolve, reject) => {
      attempts.push({ resolve: () => resolve(mod), reject })
    })
  return { load, attempts }
}

describe('lazy()', () => {
  it('imports the module on the first matching event, not before; the default export handles', async () => {
    const fixture = await import('./test-fixtures/lazy-module.js')
    fixture.handled.length = 0
    let loads = 0
    const bus = createBus()
    bus.subscribe(
      'report.**',
      lazy(() => {
        loads++
        return import('./test-fixtures/lazy-module.js')
      }),
    )
    bus.publish('other')
    await tick()
    expect(loads).toBe(0)
    bus.publish('report.a', 1)
    bus.publish('report.b', 2)
    bus.publish('report.c', 3)
    await tick()
    bus.publish('report.d', 4)
    expect(loads).toBe(1)
    expect(fixture.handled).toEqual([1, 2, 3, 4])
  })

  it('a named export, with its result reaching dispatch()', async () => {
    const fixture = await import('./test-fixtures/lazy-module.js')
    fixture.handled.length = 0
    const bus = createBus()
    bus.subscribe('job', lazy(() => import('./test-fixtures/lazy-module.js'), { export: 'named' }))
    const r = await bus.dispatch('job', 7)
    expect(r.results.map((x) => [x.ok, x.value])).toEqual([[true, 'ok:7']])
    expect(fixture.handled).toEqual([['named', 7]])
  })

  it('events that arrive while it loads wait in order within the queue bounds', async () => {
    const seen: unknown[] = []
    const { load, attempts } = manualLoader({ default: (e: TidingsEvent) => void seen.push(e.data) })
    const bus = createBus()
    const sub = bus.subscribe('job', lazy(load), { queue: { max: 2, strategy: 'drop-oldest' } })
    for (let i = 0; i < 5; i++) bus.publish('job', i)
    await tick()
    // All five were queued before the worker started: the queue kept 3 and 4 (0..2 dropped);
    // 3 now waits for the import in the handler, 4 in the queue.
    expect(attempts).toHaveLength(1)
    expect(sub.stats()).toMatchObject({ queued: 1, dropped: 3 })
    bus.publish('job', 5)
    attempts[0]!.resolve()
    await bus.shutdown()
    expect(seen).toEqual([3, 4, 5])
  })

  it('a failed load fails every waiting event with LazyLoadError; the next event loads again', async () => {
    const seen: unknown[] = []
    const { load, attempts } = manualLoader({ default: (e: TidingsEvent) => void seen.push(e.data) })
    const bus = createBus()
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    // One lazy handler on two subscriptions: one queued, one plain (its calls wait in flight).
    const handler = lazy(load)
    bus.subscribe('job', handler, { queue: { max: 10, strategy: 'drop-oldest' } })
    bus.subscribe('sync', handler)
    bus.publish('job', 'a')
    bus.publish('job', 'b')
    bus.publish('sync', 's1')
    bus.publish('job', 'c')
    bus.publish('sync', 's2')
    await tick()
    expect(attempts).toHaveLength(1)
    attempts[0]!.reject(new Error('offline'))
    await tick()
    await tick()
    expect(failures.map((f) => [f.event.data, f.error.name])).toEqual([
      ['s1', 'LazyLoadError'],
      ['s2', 'LazyLoadError'],
      ['a', 'LazyLoadError'],
      ['b', 'LazyLoadError'],
      ['c', 'LazyLoadError'],
    ])
    const err = failures[0]!.error as LazyLoadError
    expect(err).toBeInstanceOf(LazyLoadError)
    expect(err.message).toMatch(/import failed \(offline\)/)
    expect((err.cause as Error).message).toBe('offline')
    expect(seen).toEqual([])
    // No load is tried for the events that waited; the next event tries again.
    expect(attempts).toHaveLength(1)
    bus.publish('job', 'd')
    await tick()
    expect(attempts).toHaveLength(2)
    bus.publish('sync', 's3')
    attempts[1]!.resolve()
    await bus.shutdown()
    expect(seen).toEqual(['d', 's3'])
    expect(failures).toHaveLength(5)
  })

  it('a module without the export is a failed load, retried on the next event', async () => {
    let mod: Record<string, unknown> = { other: 1 }
    let loads = 0
    const bus = createBus()
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    const seen: unknown[] = []
    bus.subscribe(
      'x',
      lazy(async () => {
        loads++
        return mod as { handle: (e: TidingsEvent) => void }
      }, { export: 'handle' }),
    )
    bus.publish('x', 1)
    await tick()
    expect(failures.map((f) => f.error.message)).toEqual([expect.stringMatching(/no function export "handle"/)])
    mod = { handle: (e: TidingsEvent) => seen.push(e.data) }
    bus.publish('x', 2)
    await tick()
    expect(loads).toBe(2)
    expect(seen).toEqual([2])
  })
})
