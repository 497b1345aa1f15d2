import { afterEach, describe, expect, it, vi } from 'vitest'
import * as v from 'valibot'
import type { TidingsBus } from './bus.js'
import {
  AbortedError,
  BusClosedError,
  createBus,
  NoResponderError,
  QueueFullError,
  RemoteError,
  TimeoutError,
  ValidationError,
  type Bus,
  type TidingsEvent,
} from './index.js'
import { bridgeHost } from './bridge/host.js'
import { isRequest } from './bridge/remote-replies.js'

const pending = (bus: Bus) => (bus as unknown as TidingsBus).pendingTracked

afterEach(() => {
  vi.useRealTimers()
})

describe('request / reply', () => {
  it('answers with the value a sync or async responder returns', async () => {
    const bus = createBus()
    const requests: TidingsEvent[] = []
    bus.reply('math.double', (e) => {
      requests.push(e)
      return (e.data as number) * 2
    })
    bus.reply('math.slow', async (e) => {
      await new Promise((r) => setTimeout(r, 5))
      return `slow ${String(e.data)}`
    })
    expect(await bus.request<number>('math.double', 21, { correlationId: 'c1' })).toBe(42)
    expect(await bus.request<string>('math.slow', 'x')).toBe('slow x')
    expect(requests[0]).toMatchObject({ type: 'math.double', data: 21, correlationId: 'c1' })
    expect(bus.subscriptions().map((s) => s.kind)).toEqual(['reply', 'reply'])
    expect(pending(bus)).toBe(0)
  })

  it('NoResponderError at once when no reply() subscription matches; nothing is published', async () => {
    const bus = createBus()
    const seen = vi.fn()
    bus.subscribe('who.knows', seen) // a plain handler is not a responder
    const t0 = performance.now()
    await expect(bus.request('who.knows', 1)).rejects.toBeInstanceOf(NoResponderError)
    expect(performance.now() - t0).toBeLessThan(1000)
    await expect(bus.request('who.knows')).rejects.toThrow('No responder for request "who.knows". Register one with bus.reply("who.knows", handler) first.')
    expect(seen).not.toHaveBeenCalled()
    expect(bus.stats().published).toBe(0)
  })

  it('NoResponderError when every responder filters the request out', async () => {
    const bus = createBus()
    bus.reply('q', () => 'never', { filter: (e) => e.data === 'mine' })
    await expect(bus.request('q', 'other')).rejects.toBeInstanceOf(NoResponderError)
    expect(await bus.request('q', 'mine')).toBe('never')
    expect(pending(bus)).toBe(0)
  })

  it('TimeoutError when the responder does not answer in time; nothing stays pending', async () => {
    vi.useFakeTimers()
    const bus = createBus()
    bus.reply('slow', () => new Promise(() => {}))
    let err: unknown
    const p = bus.request('slow', 1, { timeoutMs: 300 }).catch((e: unknown) => (err = e))
    await vi.advanceTimersByTimeAsync(299)
    expect(err).toBeUndefined()
    expect(pending(bus)).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    await p
    expect(err).toBeInstanceOf(TimeoutError)
    expect((err as Error).message).toBe('request "slow" timed out after 300 ms. Raise timeoutMs or check that the handler finishes.')
    expect(pending(bus)).toBe(0)
  })

  it('requests with different timeouts expire each at its own deadline; shutdown leaves no timer', async () => {
    vi.useFakeTimers()
    const bus = createBus()
    bus.reply('slow', () => new Promise(() => {}))
    const expired: Array<[string, number]> = []
    const t0 = Date.now()
    const track = (name: string, p: Promise<unknown>) => p.catch(() => expired.push([name, Date.now() - t0]))
    const all = [track('long', bus.request('slow', 1, { timeoutMs: 1000 })), track('short', bus.request('slow', 2, { timeoutMs: 100 }))]
    await vi.advanceTimersByTimeAsync(500)
    const mid = track('mid', bus.request('slow', 3, { timeoutMs: 200 }))
    await vi.advanceTimersByTimeAsync(1000)
    await Promise.all([...all, mid])
    expect(expired).toEqual([['short', 100], ['mid', 700], ['long', 1000]])
    expect(pending(bus)).toBe(0)
    const last = bus.request('slow', 4, { timeoutMs: 60_000 }).catch((e: unknown) => e)
    await bus.shutdown({ drainTimeoutMs: 0 })
    expect(await last).toBeInstanceOf(BusClosedError)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a request answered inside publish arms no timer; one left open arms the shared one', async () => {
    vi.useFakeTimers()
    const bus = createBus()
    bus.reply('now', (e) => e.data)
    bus.reply('later', () => new Promise(() => {}))
    await vi.advanceTimersByTimeAsync(0) // createBus's started event
    const timers = vi.getTimerCount()
    for (let i = 0; i < 3; i++) expect(await bus.request('now', i)).toBe(i)
    expect(vi.getTimerCount()).toBe(timers)
    const open = bus.request('later', 1, { timeoutMs: 100 }).catch((e: unknown) => e)
    const open2 = bus.request('later', 2, { timeoutMs: 200 }).catch((e: unknown) => e)
    expect(vi.getTimerCount()).toBe(timers + 1)
    await vi.advanceTimersByTimeAsync(100)
    expect(await open).toBeInstanceOf(TimeoutError)
    expect(pending(bus)).toBe(1)
    await vi.advanceTimersByTimeAsync(100)
    expect(await open2).toBeInstanceOf(TimeoutError)
    expect(pending(bus)).toBe(0)
  })

  it('the default timeout is 5000 ms', async () => {
    vi.useFakeTimers()
    const bus = createBus()
    bus.reply('slow', () => new Promise(() => {}))
    let err: unknown
    const p = bus.request('slow').catch((e: unknown) => (err = e))
    await vi.advanceTimersByTimeAsync(4999)
    expect(err).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    await p
    expect(err).toMatchObject({ name: 'TimeoutError', timeoutMs: 5000 })
  })

  it("RemoteError carries the responder's error name and message", async () => {
    const bus = createBus()
    bus.reply('user.get', (e) => {
      const err = new Error(`user ${String(e.data)} not found`)
      err.name = 'NotFound'
      throw err
    })
    const err = await bus.request('user.get', 'u7').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect(err).toMatchObject({ name: 'RemoteError', remoteName: 'NotFound', remoteMessage: 'user u7 not found', type: 'user.get' })
    expect((err as Error).message).toBe('Responder for "user.get" failed with NotFound: user u7 not found')
    // The responder's failure is also a handler failure on the bus.
    expect(bus.stats().errors).toBe(1)
  })

  it('async rejection and retries of the responder: the final outcome answers', async () => {
    vi.useFakeTimers()
    const bus = createBus()
    let calls = 0
    bus.reply('flaky', async () => {
      calls++
      if (calls < 3) throw new Error('busy')
      return 'finally'
    }, { retry: { attempts: 3, backoffMs: 10 } })
    const p = bus.request('flaky')
    await vi.advanceTimersByTimeAsync(30)
    expect(await p).toBe('finally')
    bus.reply('broken', async () => {
      throw new SyntaxError('bad input')
    })
    await expect(bus.request('broken')).rejects.toMatchObject({ name: 'RemoteError', remoteName: 'SyntaxError', remoteMessage: 'bad input' })
  })

  it('a queued responder answers; a full reject queue refuses with QueueFullError', async () => {
    const bus = createBus()
    const gates: Array<() => void> = []
    bus.reply('work', (e) => new Promise((r) => gates.push(() => r(`done ${String(e.data)}`))), { queue: { max: 1, strategy: 'reject' } })
    const first = bus.request('work', 1)
    await Promise.resolve()
    await Promise.resolve()
    const second = bus.request('work', 2) // waits in the queue
    await expect(bus.request('work', 3)).rejects.toBeInstanceOf(QueueFullError)
    gates.shift()!()
    expect(await first).toBe('done 1')
    await vi.waitFor(() => expect(gates).toHaveLength(1))
    gates.shift()!()
    expect(await second).toBe('done 2')
    expect(pending(bus)).toBe(0)
  })

  it('the first successful responder wins; all failing -> the first failure', async () => {
    const bus = createBus()
    bus.reply('multi', () => {
      throw new Error('first fails')
    }, { priority: 2 })
    bus.reply('multi', async () => 'second answers', { priority: 1 })
    expect(await bus.request('multi')).toBe('second answers')
    bus.reply('allbad', () => {
      throw new Error('a')
    }, { priority: 2 })
    bus.reply('allbad', () => {
      throw new Error('b')
    }, { priority: 1 })
    await expect(bus.request('allbad')).rejects.toMatchObject({ remoteMessage: 'a' })
  })

  it('a queue that drops a waiting request settles it at once; the others answer', async () => {
    const bus = createBus()
    const gates: Array<() => void> = []
    bus.reply('work', (e) => new Promise((r) => gates.push(() => r(`done ${String(e.data)}`))), { queue: { max: 1, strategy: 'drop-oldest' } })
    const first = bus.request('work', 1)
    await vi.waitFor(() => expect(gates).toHaveLength(1)) // 1 runs, the queue is empty again
    const second = bus.request('work', 2) // waits in the queue
    second.catch(() => {})
    const third = bus.request('work', 3) // drops 2
    await expect(second).rejects.toBeInstanceOf(QueueFullError)
    await expect(second).rejects.toThrow('dropped by drop-oldest')
    expect(pending(bus)).toBe(2)
    gates.shift()!()
    expect(await first).toBe('done 1')
    await vi.waitFor(() => expect(gates).toHaveLength(1))
    gates.shift()!()
    expect(await third).toBe('done 3')
    expect(pending(bus)).toBe(0)
  })

  it('a responder that makes its own request: the outer request still reaches the next responder', async () => {
    const bus = createBus()
    bus.reply('inner', (e) => `inner ${String(e.data)}`)
    const inner: Array<Promise<unknown>> = []
    bus.reply('outer', (e) => {
      inner.push(bus.request('inner', e.data))
      throw new Error('first responder fails after asking')
    }, { priority: 2 })
    bus.reply('outer', (e) => `outer ${String(e.data)}`, { priority: 1 })
    expect(await bus.request('outer', 7)).toBe('outer 7')
    expect(await Promise.all(inner)).toEqual(['inner 7'])
    expect(pending(bus)).toBe(0)
  })

  it('a request answered inside publish is still a request to the subscribers after the responder', async () => {
    const bus = createBus()
    bus.reply('q', (e) => e.data, { priority: 1 })
    const seen: Array<[unknown, boolean]> = []
    bus.on('q').subscribe((e) => seen.push([e.data, isRequest(bus as never, e)]))
    expect(await bus.request('q', 'asked')).toBe('asked')
    bus.publish('q', 'published')
    expect(seen).toEqual([
      ['asked', true],
      ['published', false],
    ])
    expect(pending(bus)).toBe(0)
  })

  it('a schema checks the request data, sync or async: its output reaches the responder, bad data is refused', async () => {
    const bus = createBus()
    bus.define('sync.q', { schema: v.object({ n: v.number(), unit: v.optional(v.string(), 'm') }) })
    bus.define('async.q', { schema: v.objectAsync({ n: v.pipeAsync(v.number(), v.checkAsync(async (n) => n > 0, 'must be positive')) }) })
    const seen: unknown[] = []
    bus.reply('*.q', (e) => {
      seen.push(e.data)
      return (e.data as { n: number }).n * 2
    })
    expect(await bus.request('sync.q', { n: 2 })).toBe(4)
    expect(await bus.request('async.q', { n: 3 })).toBe(6)
    await expect(bus.request('sync.q', { n: 'x' })).rejects.toBeInstanceOf(ValidationError)
    await expect(bus.request('async.q', { n: -1 })).rejects.toThrow('must be positive')
    expect(seen).toEqual([{ n: 2, unit: 'm' }, { n: 3 }])
    expect(bus.stats().published).toBe(2)
    expect(pending(bus)).toBe(0)
  })

  it('an AbortSignal cancels the request', async () => {
    const bus = createBus()
    bus.reply('slow', () => new Promise(() => {}))
    const ctrl = new AbortController()
    const p = bus.request('slow', 1, { signal: ctrl.signal })
    ctrl.abort()
    await expect(p).rejects.toBeInstanceOf(AbortedError)
    await expect(bus.request('slow', 1, { signal: ctrl.signal })).rejects.toBeInstanceOf(AbortedError)
    expect(pending(bus)).toBe(0)
  })

  it('pending requests reject with BusClosedError on shutdown', async () => {
    const bus = createBus({ name: 'rpc' })
    bus.reply('slow', () => new Promise(() => {}))
    const p = bus.request('slow', 1, { timeoutMs: 60_000 })
    const result = await bus.shutdown({ drainTimeoutMs: 0 })
    await expect(p).rejects.toBeInstanceOf(BusClosedError)
    await expect(p).rejects.toThrow('Bus "rpc" is shut down: cannot wait for a reply to "slow"')
    expect(result).toEqual({ drained: 0, undelivered: 0 })
    await expect(bus.request('slow')).rejects.toBeInstanceOf(BusClosedError)
    expect(pending(bus)).toBe(0)
  })

  it('1e5 requests leave subscriptions, route cache and pending requests unchanged', async () => {
    const bus = createBus()
    bus.reply('rpc.add', (e) => (e.data as number) + 1)
    bus.subscribe('rpc.*', () => {}) // a glob, so the route cache is in use
    expect(await bus.request('rpc.add', 0)).toBe(1)
    const subs = bus.subscriptions().length
    const cache = bridgeHost(bus, 'test').routeCacheSize
    const before = pending(bus)
    let sum = 0
    for (let i = 0; i < 100_000; i++) sum += await bus.request<number>('rpc.add', i)
    expect(sum).toBe((100_000 * 99_999) / 2 + 100_000)
    expect(bus.subscriptions().length).toBe(subs)
    expect(bridgeHost(bus, 'test').routeCacheSize).toBe(cache)
    expect(pending(bus)).toBe(before)
    expect(before).toBe(0)
    expect(bus.subscriptions().find((s) => s.kind === 'reply')).toMatchObject({ received: 100_001, handled: 100_001 })
  }, 60_000)
})
