// bus.inspect(observer, { sample }): a sampler decides, once per publish, whether its observer
// gets that publish's 'publish' inspection; the bus builds none when no observer takes it.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBus, InvalidOptionError, type InspectionEvent, type TidingsEvent } from './index.js'

afterEach(() => {
  vi.restoreAllMocks()
})

const publishes = (seen: InspectionEvent[]) => seen.flatMap((e) => (e.kind === 'publish' ? [e.event.data] : []))

describe('inspect sample', () => {
  it('asks the sampler once per publish, with the event, on the fast and the general path; the observer gets what it took', () => {
    const bus = createBus()
    bus.subscribe('a', () => {})
    const asked: [string, number][] = []
    const seen: InspectionEvent[] = []
    bus.inspect((e) => seen.push(e), { kinds: ['publish'], sample: (e: TidingsEvent) => (asked.push([e.type, e.seq]), e.seq % 2 === 0) })
    bus.publish('a', 0) // one route: the fast path
    bus.publish('a', 1)
    bus.publish('a', 2, { correlationId: 'c' }) // options: the general path
    bus.publish('nobody', 3) // no route
    bus.publish('nobody', 4)
    expect(asked).toEqual([['a', 0], ['a', 1], ['a', 2], ['nobody', 3], ['nobody', 4]])
    expect(publishes(seen)).toEqual([0, 2, 4])
    const last = seen.at(-1)
    expect(last?.kind === 'publish' && last.receipt).toEqual({ id: expect.any(String), matched: 0, delivered: 0, queued: 0, dropped: 0, rejected: 0 })
  })

  it('samples only publish inspections: deliveries, errors and subscription changes still arrive', () => {
    const bus = createBus()
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const seen: string[] = []
    bus.inspect((e) => seen.push(e.kind), { sample: () => false })
    bus.subscribe('boom', () => {
      throw new Error('x')
    })
    bus.publish('boom', 1)
    expect(seen).toEqual(['subscribe', 'error', 'deliver'])
  })

  it('each observer samples for itself; the one without a sampler gets every publish, and both see the same object', () => {
    const bus = createBus()
    bus.subscribe('a', () => {})
    const all: InspectionEvent[] = []
    const some: InspectionEvent[] = []
    bus.inspect((e) => all.push(e), { kinds: ['publish'] })
    bus.inspect((e) => some.push(e), { kinds: ['publish'], sample: (e) => e.data === 'keep' })
    bus.publish('a', 'keep')
    bus.publish('a', 'skip')
    expect(publishes(all)).toEqual(['keep', 'skip'])
    expect(publishes(some)).toEqual(['keep'])
    expect(some[0]).toBe(all[0])
  })

  it('a sampler that throws skips that publish for its observer only; publishing and the other observers go on', () => {
    const bus = createBus()
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    let got = 0
    bus.subscribe('a', () => void got++)
    const other: InspectionEvent[] = []
    const sampled: InspectionEvent[] = []
    bus.inspect((e) => sampled.push(e), {
      kinds: ['publish'],
      sample: (e) => {
        if (e.data === 2) throw new Error('sampler broke')
        return true
      },
    })
    bus.inspect((e) => other.push(e), { kinds: ['publish'] })
    expect(bus.publish('a', 1).delivered).toBe(1)
    expect(bus.publish('a', 2).delivered).toBe(1)
    expect(bus.publish('a', 3).delivered).toBe(1)
    expect(got).toBe(3)
    expect(publishes(sampled)).toEqual([1, 3])
    expect(publishes(other)).toEqual([1, 2, 3])
    expect(logged).toHaveBeenCalledTimes(1)
  })

  it('stops sampling when the sampling observer leaves', () => {
    const bus = createBus()
    const sample = vi.fn(() => false)
    const sub = bus.inspect(() => {}, { kinds: ['publish'], sample })
    const plain: InspectionEvent[] = []
    bus.inspect((e) => plain.push(e), { kinds: ['publish'] })
    bus.publish('a', 1)
    sub.unsubscribe()
    bus.publish('a', 2)
    expect(sample).toHaveBeenCalledTimes(1)
    expect(publishes(plain)).toEqual([1, 2])
  })

  it('refuses a sample that is not a function with InvalidOptionError', () => {
    const bus = createBus()
    expect(() => bus.inspect(() => {}, { sample: 'yes' as unknown as () => boolean })).toThrow(InvalidOptionError)
    expect(() => bus.inspect(() => {}, { sample: 'yes' as unknown as () => boolean })).toThrow(/inspect sample/)
  })
})
