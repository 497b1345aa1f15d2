import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createBus, InvalidOptionError, QueueFullError, type TidingsEvent } from './index.js'

const data = (events: Array<TidingsEvent | undefined>) => events.map((e) => e?.data)

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('inbox: receive', () => {
  it('returns queued events oldest first; timeoutMs 0 polls', async () => {
    const bus = createBus()
    const inbox = bus.inbox('metric.*')
    expect(await inbox.receive({ timeoutMs: 0 })).toBeUndefined()
    const r = bus.publish('metric.cpu', 1)
    expect(r).toMatchObject({ matched: 1, queued: 1, delivered: 0 })
    bus.publish('metric.mem', 2)
    bus.publish('other', 3)
    expect(data([await inbox.receive({ timeoutMs: 0 }), await inbox.receive({ timeoutMs: 0 }), await inbox.receive({ timeoutMs: 0 })])).toEqual([1, 2, undefined])
    expect(inbox.stats()).toEqual({ received: 2, handled: 2, dropped: 0, rejected: 0, errors: 0, queued: 0, maxQueued: 2 })
  })

  it('waits for the next event, or gives undefined after timeoutMs', async () => {
    const bus = createBus()
    const inbox = bus.inbox('job')
    let got: TidingsEvent | undefined | 'pending' = 'pending'
    const p = inbox.receive({ timeoutMs: 1000 }).then((e) => (got = e))
    await vi.advanceTimersByTimeAsync(500)
    expect(got).toBe('pending')
    bus.publish('job', 'a')
    expect((await p)?.data).toBe('a')
    // The pending receive took it straight from publish: nothing was queued.
    expect(inbox.stats()).toMatchObject({ received: 1, handled: 1, queued: 0, maxQueued: 0 })

    let timedOut: unknown = 'pending'
    const q = inbox.receive({ timeoutMs: 1000 }).then((e) => (timedOut = e))
    await vi.advanceTimersByTimeAsync(999)
    expect(timedOut).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    await q
    expect(timedOut).toBeUndefined()
    // A timed-out receiver no longer takes events.
    bus.publish('job', 'b')
    expect((await inbox.receive({ timeoutMs: 0 }))?.data).toBe('b')
  })

  it('several waiting receivers are served in call order', async () => {
    const bus = createBus()
    const inbox = bus.inbox('job')
    const a = inbox.receive()
    const b = inbox.receive({ timeoutMs: 10 })
    const c = inbox.receive()
    await vi.advanceTimersByTimeAsync(10) // b times out
    bus.publish('job', 1)
    bus.publish('job', 2)
    expect(data([await a, await b, await c])).toEqual([1, undefined, 2])
  })
})

describe('inbox: receiveBatch', () => {
  it('returns at once when max events are queued', async () => {
    const bus = createBus()
    const inbox = bus.inbox('e')
    for (let i = 0; i < 5; i++) bus.publish('e', i)
    expect(data(await inbox.receiveBatch({ max: 3 }))).toEqual([0, 1, 2])
    expect(data(await inbox.receiveBatch({ max: 3, timeoutMs: 0 }))).toEqual([3, 4])
    expect(await inbox.receiveBatch({ max: 3, timeoutMs: 0 })).toEqual([])
  })

  it('collects until max, or returns what arrived when timeoutMs passes', async () => {
    const bus = createBus()
    const inbox = bus.inbox('e')
    bus.publish('e', 'a')
    let batch: TidingsEvent[] | undefined
    const p = inbox.receiveBatch({ max: 3, timeoutMs: 1000 }).then((b) => (batch = b))
    await vi.advanceTimersByTimeAsync(100)
    bus.publish('e', 'b')
    await vi.advanceTimersByTimeAsync(100)
    expect(batch).toBeUndefined()
    bus.publish('e', 'c')
    await p
    expect(data(batch!)).toEqual(['a', 'b', 'c'])

    let partial: TidingsEvent[] | undefined
    const q = inbox.receiveBatch({ max: 10, timeoutMs: 500 }).then((b) => (partial = b))
    bus.publish('e', 'd')
    await vi.advanceTimersByTimeAsync(499)
    expect(partial).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await q
    expect(data(partial!)).toEqual(['d'])
    expect(inbox.stats()).toMatchObject({ received: 4, handled: 4, queued: 0 })
  })

  it('rejects a bad max with InvalidOptionError', () => {
    const bus = createBus()
    const inbox = bus.inbox('e')
    expect(() => inbox.receiveBatch({ max: 0 })).toThrow(InvalidOptionError)
    expect(() => bus.inbox('e', { max: -1 })).toThrow('inbox.max')
    expect(() => bus.inbox('e', { strategy: 'block' as never })).toThrow("inbox.strategy")
  })
})

describe('inbox: strategies', () => {
  it('drop-oldest (default) keeps the newest `max`', async () => {
    const bus = createBus()
    const drops: unknown[] = []
    bus.inspect((e) => e.kind === 'drop' && drops.push([e.event.data, e.reason]))
    const inbox = bus.inbox('e', { max: 2 })
    const receipts = [1, 2, 3, 4].map((i) => bus.publish('e', i))
    expect(receipts.map((r) => r.dropped)).toEqual([0, 0, 1, 1])
    expect(data(await inbox.receiveBatch({ max: 10, timeoutMs: 0 }))).toEqual([3, 4])
    expect(drops).toEqual([[1, 'drop-oldest'], [2, 'drop-oldest']])
    expect(inbox.stats()).toMatchObject({ received: 4, handled: 2, dropped: 2, maxQueued: 2 })
    expect(bus.stats().dropped).toBe(2)
  })

  it('drop-newest keeps the oldest `max`', async () => {
    const bus = createBus()
    const inbox = bus.inbox('e', { max: 2, strategy: 'drop-newest' })
    for (let i = 1; i <= 4; i++) bus.publish('e', i)
    expect(data(await inbox.receiveBatch({ max: 10, timeoutMs: 0 }))).toEqual([1, 2])
    expect(inbox.stats()).toMatchObject({ dropped: 2 })
  })

  it('reject makes publish throw QueueFullError after delivering to the others', async () => {
    const bus = createBus()
    const inbox = bus.inbox('e', { max: 1, strategy: 'reject' })
    const others: unknown[] = []
    bus.subscribe('e', (e) => others.push(e.data))
    bus.publish('e', 1)
    expect(() => bus.publish('e', 2)).toThrow(QueueFullError)
    expect(others).toEqual([1, 2])
    expect(inbox.stats()).toMatchObject({ received: 2, rejected: 1, queued: 1 })
    expect(bus.stats().rejected).toBe(1)
  })
})

describe('inbox: iteration and close', () => {
  it('for await yields events in order and ends when the inbox closes', async () => {
    vi.useRealTimers()
    const bus = createBus()
    const inbox = bus.inbox('e')
    const got: unknown[] = []
    const loop = (async () => {
      for await (const e of inbox) got.push(e.data)
    })()
    bus.publish('e', 1)
    bus.publish('e', 2)
    await new Promise((r) => setTimeout(r, 0))
    bus.publish('e', 3)
    await new Promise((r) => setTimeout(r, 0))
    inbox.close()
    await loop
    expect(got).toEqual([1, 2, 3])
    expect(inbox.closed).toBe(true)
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('leaving a for-await loop closes the inbox', async () => {
    const bus = createBus()
    const inbox = bus.inbox('e')
    for (let i = 0; i < 5; i++) bus.publish('e', i)
    const got: unknown[] = []
    for await (const e of inbox) {
      got.push(e.data)
      if (got.length === 2) break
    }
    expect(got).toEqual([0, 1])
    expect(inbox.closed).toBe(true)
    expect(bus.publish('e', 9).matched).toBe(0)
  })

  it('close ends waiting receivers; events already queued can still be read', async () => {
    const bus = createBus()
    const inbox = bus.inbox('e')
    const waiting = inbox.receiveBatch({ max: 5 })
    bus.publish('e', 'x')
    inbox.close()
    expect(data(await waiting)).toEqual(['x'])
    expect(await inbox.receive()).toBeUndefined()
    const other = bus.inbox('f')
    bus.publish('f', 'kept')
    other.close()
    expect((await other.receive())?.data).toBe('kept')
    expect(await other.receive()).toBeUndefined()
  })

  it('shutdown gives readers until the deadline; the rest is counted undelivered and reported', async () => {
    const bus = createBus()
    const drops: unknown[] = []
    bus.inspect((e) => e.kind === 'drop' && drops.push([e.event.data, e.reason]))
    const inbox = bus.inbox('e')
    for (let i = 0; i < 4; i++) bus.publish('e', i)
    const s = bus.shutdown({ drainTimeoutMs: 100 })
    expect((await inbox.receive())?.data).toBe(0)
    await vi.advanceTimersByTimeAsync(100)
    expect(await s).toEqual({ drained: 1, undelivered: 3 })
    expect(drops).toEqual([[1, 'shutdown'], [2, 'shutdown'], [3, 'shutdown']])
    expect(inbox.stats()).toMatchObject({ received: 4, handled: 1, dropped: 3, queued: 0 })
    expect(bus.stats().dropped).toBe(3)
  })

  it('shutdown finishes early once readers empty the inbox', async () => {
    const bus = createBus()
    const inbox = bus.inbox('e')
    bus.publish('e', 0)
    bus.publish('e', 1)
    const s = bus.shutdown({ drainTimeoutMs: 10_000 })
    expect(data(await inbox.receiveBatch({ max: 2 }))).toEqual([0, 1])
    expect(await s).toEqual({ drained: 2, undelivered: 0 })
  })
})
