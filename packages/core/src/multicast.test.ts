import { config } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { createBus, type HandlerFailure } from './index.js'

const failing = () => {
  throw new Error('boom')
}

describe('errors$ (the bus multicast)', () => {
  afterEach(() => {
    config.onUnhandledError = null
  })

  it('gives every failure to every observer subscribed at the time', () => {
    const bus = createBus()
    const a: string[] = []
    const b: string[] = []
    bus.subscribe('x', failing)
    const subA = bus.errors$.subscribe((f) => a.push(String(f.event.data)))
    bus.publish('x', 1)
    bus.errors$.subscribe((f) => b.push(String(f.event.data)))
    bus.publish('x', 2)
    subA.unsubscribe()
    bus.publish('x', 3)
    expect(a).toEqual(['1', '2'])
    expect(b).toEqual(['2', '3'])
  })

  it('an observer that throws does not keep the failure from the others', async () => {
    const reported: unknown[] = []
    config.onUnhandledError = (err) => reported.push(err)
    const bus = createBus()
    const seen: HandlerFailure[] = []
    bus.subscribe('x', failing)
    bus.errors$.subscribe(() => {
      throw new Error('observer broke')
    })
    bus.errors$.subscribe((f) => seen.push(f))
    bus.publish('x')
    bus.publish('x')
    expect(seen).toHaveLength(2)
    // rxjs reports an observer's throw on a timer.
    await new Promise((r) => setTimeout(r, 0))
    expect(reported).toHaveLength(2)
  })

  it('completes every observer on shutdown, and a later one at once', async () => {
    const bus = createBus()
    const log: string[] = []
    bus.errors$.subscribe({ complete: () => log.push('early') })
    await bus.shutdown()
    expect(log).toEqual(['early'])
    bus.errors$.subscribe({ next: () => log.push('next'), complete: () => log.push('late') })
    expect(log).toEqual(['early', 'late'])
  })
})
