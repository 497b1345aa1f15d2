import { describe, expect, it, vi } from 'vitest'
import * as v from 'valibot'
import type { InspectionEvent } from './inspect.js'
import {
  BusClosedError,
  createBus,
  ERROR_TOPIC,
  InvalidTopicError,
  SecurityError,
  ValidationError,
  type HandlerFailure,
  type TidingsEvent,
} from './index.js'
import { bridgeHost } from './bridge/host.js'

/** An async handler that never settles: its queue stays busy. */
const stuck = () => new Promise<void>(() => {})

describe('publish', () => {
  it('builds a full envelope and returns a receipt', () => {
    const bus = createBus({ name: 'app', origin: 'tab-1', source: { component: 'test' } })
    const seen: TidingsEvent[] = []
    bus.subscribe('user.login', (e) => seen.push(e))
    const receipt = bus.publish('user.login', { userId: 'u1' }, { correlationId: 'c1', metadata: { m: 1 }, priority: 3, persistent: true, ttlMs: 50 })
    expect(receipt).toEqual({ id: 'tab-1:0', matched: 1, delivered: 1, queued: 0, dropped: 0, rejected: 0 })
    const e = seen[0]!
    expect(e).toMatchObject({
      id: 'tab-1:0',
      type: 'user.login',
      version: 1,
      data: { userId: 'u1' },
      origin: 'tab-1',
      seq: 0,
      source: { component: 'test' },
      correlationId: 'c1',
      metadata: { m: 1 },
      priority: 3,
      persistent: true,
      ttlMs: 50,
    })
    expect(Math.abs(e.timestamp - Date.now())).toBeLessThan(1000)
    expect(structuredClone(e)).toEqual(e)
  })

  it('accepts the object form and keeps given envelope fields', () => {
    const bus = createBus({ origin: 'o' })
    const seen: TidingsEvent[] = []
    bus.subscribe('a.b', (e) => seen.push(e))
    bus.publish({ type: 'a.b', data: 1, causationId: 'x' })
    bus.publish({ type: 'a.b', data: 2, id: 'given', origin: 'other', seq: 9, timestamp: 5 })
    expect(seen.map((e) => [e.id, e.data, e.causationId, e.origin, e.seq, e.timestamp])).toEqual([
      ['o:0', 1, 'x', 'o', 0, seen[0]!.timestamp],
      ['given', 2, undefined, 'other', 9, 5],
    ])
  })

  it('gives unique ids and increasing seq per origin', () => {
    const bus = createBus()
    const ids = new Set<string>()
    let last = -1
    bus.subscribe('t', (e) => {
      ids.add(e.id)
      expect(e.seq).toBe(last + 1)
      last = e.seq
    })
    for (let i = 0; i < 1000; i++) bus.publish('t')
    expect(ids.size).toBe(1000)
    expect(createBus().origin).not.toBe(createBus().origin)
  })

  it('a publish nobody receives still draws its id and seq, and inspectors still see its envelope', () => {
    const bus = createBus()
    const seen: TidingsEvent[] = []
    bus.subscribe('t', (e) => void seen.push(e))
    const r1 = bus.publish('t')
    const unrouted = bus.publish('nobody.listens')
    const given = bus.publish({ type: 'nobody.listens', id: 'given-id' })
    const r2 = bus.publish('t')
    expect(unrouted).toEqual({ id: `${bus.origin}:1`, matched: 0, delivered: 0, queued: 0, dropped: 0, rejected: 0 })
    expect(given.id).toBe('given-id')
    expect([r1.id, r2.id]).toEqual([`${bus.origin}:0`, `${bus.origin}:3`])
    expect(seen.map((e) => e.seq)).toEqual([0, 3])
    expect(bus.stats().published).toBe(4)
    const inspected: InspectionEvent[] = []
    const stop = bus.inspect((i) => void inspected.push(i))
    const r3 = bus.publish('nobody.listens', 1)
    stop.unsubscribe()
    const publish = inspected.find((i) => i.kind === 'publish')
    expect(publish?.kind === 'publish' && [publish.event.id, publish.event.data, publish.receipt.matched]).toEqual([r3.id, 1, 0])
  })

  it('folds every queue outcome into the receipt and the bus stats', () => {
    const bus = createBus()
    const oldest = bus.subscribe('q', stuck, { queue: { max: 1, strategy: 'drop-oldest' } })
    bus.subscribe('q', stuck, { queue: { max: 1, strategy: 'drop-newest' } })
    bus.subscribe('q', () => {})
    // Each queue holds the first event; the next overflows both (drop-oldest still queues it).
    expect(bus.publish('q', 1)).toMatchObject({ matched: 3, delivered: 1, queued: 2, dropped: 0, rejected: 0 })
    expect(bus.publish('q', 2)).toMatchObject({ matched: 3, delivered: 1, queued: 1, dropped: 2, rejected: 0 })
    expect(oldest.stats()).toMatchObject({ received: 2, dropped: 1, queued: 1 })
    const reject = bus.subscribe('r', stuck, { queue: { max: 1, strategy: 'reject' } })
    const block = bus.subscribe('r', stuck, { queue: { max: 1, strategy: 'block' } })
    expect(bus.publish('r', 1)).toMatchObject({ matched: 2, queued: 2 })
    // A sync publish treats a full 'block' queue as 'reject': both refuse, one error names both.
    expect(() => bus.publish('r', 2)).toThrow(expect.objectContaining({ name: 'QueueFullError', subscriptionIds: [reject.id, block.id] }))
    expect(bus.stats()).toMatchObject({ published: 4, delivered: 2, dropped: 2, rejected: 2 })
  })

  it('rejects invalid topics with InvalidTopicError and delivers nothing', () => {
    const bus = createBus()
    const handler = vi.fn()
    bus.subscribe('**', handler)
    expect(() => bus.publish('a.*')).toThrow(InvalidTopicError)
    expect(() => bus.publish('a..b')).toThrow('empty segment')
    expect(() => bus.publish('')).toThrow(InvalidTopicError)
    expect(handler).not.toHaveBeenCalled()
    expect(bus.stats().published).toBe(0)
  })

  it('counts matched and delivered routes and bus stats', () => {
    const bus = createBus()
    bus.subscribe('a.*', () => {})
    bus.subscribe('a.b', () => {})
    bus.on('**').subscribe()
    expect(bus.publish('a.b')).toMatchObject({ matched: 3, delivered: 3 })
    expect(bus.publish('a.c')).toMatchObject({ matched: 2, delivered: 2 })
    expect(bus.publish('z')).toMatchObject({ matched: 1, delivered: 1 })
    expect(bus.stats()).toEqual({ published: 3, delivered: 6, dropped: 0, rejected: 0, errors: 0, subscriptions: 3 })
  })
})

describe('subscribe', () => {
  it('runs handlers synchronously, higher priority first, then in subscription order', () => {
    const bus = createBus()
    const order: string[] = []
    bus.subscribe('a.b', () => order.push('first'))
    bus.subscribe('a.*', () => order.push('urgent'), { priority: 10 })
    bus.subscribe('**', () => order.push('second'))
    bus.subscribe('a.b', () => order.push('low'), { priority: -1 })
    bus.publish('a.b')
    order.push('after publish')
    expect(order).toEqual(['urgent', 'first', 'second', 'low', 'after publish'])
  })

  it('supports once, filter, label and an AbortSignal', () => {
    const bus = createBus()
    const once = vi.fn()
    const filtered: unknown[] = []
    const ac = new AbortController()
    const aborted = vi.fn()
    const s1 = bus.subscribe('n', once, { once: true })
    bus.subscribe('n', (e) => filtered.push(e.data), { filter: (e) => (e.data as number) % 2 === 0, label: 'evens' })
    bus.subscribe('n', aborted, { signal: ac.signal })
    bus.publish('n', 1)
    ac.abort()
    bus.publish('n', 2)
    bus.publish('n', 4)
    expect(once).toHaveBeenCalledTimes(1)
    expect(s1.active).toBe(false)
    expect(filtered).toEqual([2, 4])
    expect(aborted).toHaveBeenCalledTimes(1)
    expect(bus.subscriptions().map((s) => s.label)).toEqual(['evens'])
  })

  it('a once handler gets a live ctx.signal and runs once even when it re-publishes', () => {
    const bus = createBus()
    const seen: boolean[] = []
    const sub = bus.subscribe('x', (_e, ctx) => {
      seen.push(ctx.signal.aborted)
      bus.publish('x')
    }, { once: true })
    bus.publish('x')
    expect(seen).toEqual([false])
    expect(sub.active).toBe(false)
    expect(bus.stats().subscriptions).toBe(0)
  })

  it('delivers once to a subscription whose patterns overlap', () => {
    const bus = createBus()
    const h = vi.fn()
    bus.subscribe(['a.b', 'a.*', 'a.**'], h)
    bus.publish('a.b')
    expect(h).toHaveBeenCalledTimes(1)
  })

  it('takes a pattern, a list with repeats or a one-item list alike, and unsubscribe takes every route out', () => {
    const bus = createBus()
    const seen: string[] = []
    const one = bus.subscribe(['a.x'], (e) => void seen.push(`one:${e.type}`))
    const twice = bus.subscribe(['b.*', 'c', 'b.*'], (e) => void seen.push(`twice:${e.type}`))
    const plain = bus.subscribe('$app.ready', (e) => void seen.push(`plain:${e.type}`))
    expect([one.pattern, twice.pattern, plain.pattern]).toEqual(['a.x', ['b.*', 'c'], '$app.ready'])
    for (const t of ['a.x', 'b.y', 'c', '$app.ready']) bus.publish(t)
    expect(seen).toEqual(['one:a.x', 'twice:b.y', 'twice:c', 'plain:$app.ready'])
    one.unsubscribe()
    twice.unsubscribe()
    plain.unsubscribe()
    for (const t of ['a.x', 'b.y', 'c', '$app.ready']) expect(bus.publish(t).matched).toBe(0)
    expect(bus.stats().subscriptions).toBe(0)
  })

  it('passes ctx whose publish keeps correlation and sets causation', () => {
    const bus = createBus()
    const chained: TidingsEvent[] = []
    bus.subscribe('order.placed', (e, ctx) => {
      expect(ctx.attempt).toBe(1)
      expect(ctx.signal.aborted).toBe(false)
      expect(ctx.subscription.id).toMatch(/#/)
      ctx.publish('order.billed', { for: e.id })
    })
    bus.subscribe('order.billed', (e) => chained.push(e))
    const r = bus.publish('order.placed', {}, { correlationId: 'corr-1' })
    expect(chained).toHaveLength(1)
    expect(chained[0]).toMatchObject({ correlationId: 'corr-1', causationId: r.id, data: { for: r.id } })
  })

  it('unsubscribes, unsubscribePattern and subscriberCount', () => {
    const bus = createBus()
    const s = bus.subscribe('a.b', () => {})
    bus.subscribe('a.*', () => {})
    bus.subscribe('a.*', () => {})
    expect(bus.subscriberCount('a.b')).toBe(3)
    expect(bus.subscriberCount('a.*')).toBe(2)
    s.unsubscribe()
    s.unsubscribe()
    expect(bus.subscriberCount('a.b')).toBe(2)
    expect(bus.unsubscribePattern('a.*')).toBe(2)
    expect(bus.subscriberCount('a.b')).toBe(0)
    expect(bus.stats().subscriptions).toBe(0)
  })

  it('reports subscriptions with kind and counters', () => {
    const bus = createBus({ name: 'b' })
    bus.subscribe(['x.*', 'y'], () => {}, { label: 'L', priority: 2 })
    bus.on('x.a').subscribe()
    bus.publish('x.a')
    const infos = bus.subscriptions()
    expect(infos).toHaveLength(2)
    expect(infos[0]).toMatchObject({ patterns: ['x.*', 'y'], kind: 'handler', label: 'L', priority: 2, received: 1, handled: 1 })
    expect(infos[1]).toMatchObject({ patterns: ['x.a'], kind: 'observable', received: 1 })
  })

  it('validates patterns up front', () => {
    const bus = createBus()
    expect(() => bus.subscribe('a..b', () => {})).toThrow(InvalidTopicError)
    expect(() => bus.on('a.[b')).toThrow("unbalanced '['")
    expect(() => bus.subscribe([], () => {})).toThrow('at least one pattern')
  })
})

describe('on()', () => {
  it('is a hot Observable for a pattern or several, with a filter', () => {
    const bus = createBus()
    bus.publish('a.x', 0) // before anyone listens: not replayed
    const got: unknown[] = []
    const sub = bus.on(['a.*', 'b'], { filter: (e) => e.data !== 'skip' }).subscribe((e) => got.push(`${e.type}=${String(e.data)}`))
    bus.publish('a.x', 1)
    bus.publish('b', 2)
    bus.publish('b', 'skip')
    bus.publish('c', 3)
    sub.unsubscribe()
    bus.publish('a.x', 4)
    expect(got).toEqual(['a.x=1', 'b=2'])
    expect(bus.stats().subscriptions).toBe(0)
  })

  it('takes a priority like subscribe', () => {
    const bus = createBus()
    const order: string[] = []
    bus.subscribe('a', () => order.push('handler'))
    bus.on('a', { priority: 100 }).subscribe(() => order.push('observer'))
    bus.publish('a')
    expect(order).toEqual(['observer', 'handler'])
  })

  it('completes on shutdown', async () => {
    const bus = createBus()
    const complete = vi.fn()
    bus.on('**').subscribe({ complete })
    await bus.shutdown()
    expect(complete).toHaveBeenCalledTimes(1)
  })
})

describe('errors', () => {
  it('a throwing handler never stops the others and is reported with event and subscription', () => {
    const bus = createBus()
    const failures: HandlerFailure[] = []
    const errorEvents: TidingsEvent[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    bus.subscribe(ERROR_TOPIC, (e) => errorEvents.push(e))
    const after = vi.fn()
    const bad = bus.subscribe('job', () => {
      throw new RangeError('boom')
    }, { label: 'bad', priority: 1 })
    bus.subscribe('job', after)
    const r = bus.publish('job', 1)
    expect(after).toHaveBeenCalledTimes(1)
    expect(r.delivered).toBe(2)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ subscriptionId: bad.id, label: 'bad', attempts: 1, event: { id: r.id } })
    expect(failures[0]!.error).toBeInstanceOf(RangeError)
    expect(errorEvents).toHaveLength(1)
    expect(errorEvents[0]!.data).toMatchObject({ name: 'RangeError', message: 'boom', eventId: r.id, eventType: 'job', subscriptionId: bad.id })
    expect(errorEvents[0]!.causationId).toBe(r.id)
    expect(bad.stats()).toMatchObject({ received: 1, handled: 0, errors: 1 })
    expect(bus.stats().errors).toBe(1)
  })

  it('reports rejected promises from unqueued async handlers', async () => {
    const bus = createBus()
    const failures: HandlerFailure[] = []
    bus.errors$.subscribe((f) => failures.push(f))
    bus.subscribe('job', async () => {
      throw new Error('later')
    })
    bus.publish('job')
    await new Promise((r) => setTimeout(r, 0))
    expect(failures.map((f) => f.error.message)).toEqual(['later'])
  })

  it('does not loop when an error handler itself throws', () => {
    const bus = createBus()
    let calls = 0
    bus.subscribe(ERROR_TOPIC, () => {
      calls++
      throw new Error('error handler broke')
    })
    bus.subscribe('x', () => {
      throw new Error('first')
    })
    bus.publish('x')
    expect(calls).toBe(1)
    expect(bus.stats().errors).toBe(2)
  })

  it('wildcards do not receive system topics', () => {
    const bus = createBus()
    const all: string[] = []
    bus.subscribe('**', (e) => all.push(e.type))
    bus.subscribe('x', () => {
      throw new Error('e')
    })
    bus.publish('x')
    expect(all).toEqual(['x'])
  })
})

describe('inspect', () => {
  it('streams typed publish/deliver/subscribe/unsubscribe/error events', () => {
    const bus = createBus()
    const kinds: InspectionEvent[] = []
    const ins = bus.inspect((e) => kinds.push(e))
    const s = bus.subscribe('a', () => {
      throw new Error('x')
    })
    bus.publish('a', 1)
    s.unsubscribe()
    ins.unsubscribe()
    bus.publish('a', 2)
    // The failure is itself published as $tidings.error (nobody listens to it here).
    expect(kinds.map((k) => (k.kind === 'publish' ? `publish:${k.event.type}` : k.kind))).toEqual([
      'subscribe',
      'error',
      'publish:$tidings.error',
      'deliver',
      'publish:a',
      'unsubscribe',
    ])
    const publish = kinds.find((k) => k.kind === 'publish' && k.event.type === 'a')
    expect(publish?.kind === 'publish' && publish.receipt.delivered).toBe(1)
    const deliver = kinds.find((k) => k.kind === 'deliver')
    expect(deliver?.kind === 'deliver' && deliver.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('an inspector that throws does not break publishing', () => {
    const bus = createBus()
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {})
    bus.inspect(() => {
      throw new Error('bad inspector')
    })
    const h = vi.fn()
    bus.subscribe('a', h)
    expect(bus.publish('a').delivered).toBe(1)
    expect(h).toHaveBeenCalledTimes(1)
    spy.mockRestore()
  })

  it('bridge: ingest keeps the foreign envelope and marks it', () => {
    const bus = createBus({ origin: 'me' })
    const seen: TidingsEvent[] = []
    const ins: string[] = []
    bus.inspect((e) => ins.push(e.kind === 'bridge' ? `bridge:${e.direction}:${e.bridge}` : e.kind))
    bus.subscribe('a', (e) => seen.push(e))
    const foreign: TidingsEvent = { id: 'other:7', type: 'a', timestamp: 1, version: 1, data: 'x', origin: 'other', seq: 7 }
    bridgeHost(bus, 'test').ingest(foreign, 'tabs')
    const local = bus.publish('a', 'y', { local: true })
    expect(seen[0]).toBe(foreign)
    expect(bus.bridgedBy(seen[0]!)).toBe('tabs')
    expect(bus.bridgedBy(seen[1]!)).toBeUndefined()
    expect(bridgeHost(bus, 'test').isLocal(seen[1]!)).toBe(true)
    expect(seen[1]!.id).toBe(local.id)
    expect(ins).toEqual(['subscribe', 'bridge:in:tabs', 'deliver', 'publish', 'deliver', 'publish'])
  })
})

describe('typed handle, registry and schemas', () => {
  it('bus.event(type) publishes, observes and counts one type', () => {
    const bus = createBus<{ 'user.login': { userId: string } }>()
    const login = bus.event('user.login')
    const seen: string[] = []
    login.subscribe((e) => seen.push(e.data.userId))
    login.on().subscribe((e) => seen.push('obs:' + e.data.userId))
    login.publish({ userId: 'u1' })
    expect(seen).toEqual(['u1', 'obs:u1'])
    expect(login.subscriberCount()).toBe(2)
    expect(login.type).toBe('user.login')
  })

  it('define/events/undefine keep a registry', () => {
    const bus = createBus()
    bus.define('user.login', { description: 'a user signed in' })
    bus.define('user.logout')
    expect(bus.events()).toEqual([{ type: 'user.login', description: 'a user signed in' }, { type: 'user.logout' }])
    expect(bus.undefine('user.login')).toBe(true)
    expect(bus.undefine('user.login')).toBe(false)
    expect(bus.events().map((d) => d.type)).toEqual(['user.logout'])
    expect(() => bus.define('bad..type')).toThrow(InvalidTopicError)
  })

  it('validates data with a Standard Schema (valibot): invalid -> ValidationError, nothing delivered', () => {
    const Login = v.object({ userId: v.pipe(v.string(), v.minLength(2)) })
    const bus = createBus<{ 'user.login': { userId: string } }>({ schemas: { 'user.login': Login } })
    const h = vi.fn()
    bus.subscribe('**', h)
    expect(() => bus.publish('user.login', { userId: 'x' })).toThrow(ValidationError)
    expect(() => bus.publish('user.login', { userId: 'x' })).toThrow(/Invalid data for event "user.login": userId: .*Nothing was delivered/)
    expect(h).not.toHaveBeenCalled()
    bus.publish('user.login', { userId: 'ok' })
    expect(h).toHaveBeenCalledTimes(1)
  })

  it('schemas added with define() apply, and their output (e.g. defaults) is delivered', () => {
    const bus = createBus()
    bus.define('cfg', { schema: v.object({ level: v.optional(v.number(), 3) }) })
    const seen: unknown[] = []
    bus.subscribe('cfg', (e) => seen.push(e.data))
    bus.publish('cfg', {})
    expect(seen).toEqual([{ level: 3 }])
    expect(() => bus.publish('cfg', { level: 'high' })).toThrow(ValidationError)
    bus.undefine('cfg')
    bus.publish('cfg', { level: 'high' })
    expect(seen).toHaveLength(2)
  })

  it('async schemas need publishAsync', async () => {
    const bus = createBus()
    bus.define('a', { schema: v.pipeAsync(v.string(), v.checkAsync(async (s) => s.length > 1, 'too short')) })
    expect(() => bus.publish('a', 'xx')).toThrow('use publishAsync()')
    await expect(bus.publishAsync('a', 'x')).rejects.toThrow('too short')
    await expect(bus.publishAsync('a', 'xx')).resolves.toMatchObject({ matched: 0 })
  })
})

describe('guard', () => {
  it('requires the publish key on guarded topics', () => {
    const bus = createBus()
    bus.guard('admin.**', { publishKey: 'sekret' })
    const h = vi.fn()
    bus.subscribe('admin.reset', h)
    expect(() => bus.publish('admin.reset')).toThrow(SecurityError)
    expect(() => bus.publish('admin.reset', null, { key: 'wrong' })).toThrow('Not allowed to publish "admin.reset"')
    expect(h).not.toHaveBeenCalled()
    bus.publish('admin.reset', null, { key: 'sekret' })
    bus.publish('user.reset')
    expect(h).toHaveBeenCalledTimes(1)
  })

  it('requires the subscribe key to receive guarded topics', () => {
    const bus = createBus()
    bus.guard('secret.*', { subscribeKey: 'k' })
    expect(() => bus.subscribe('secret.plans', () => {})).toThrow(SecurityError)
    const wild: string[] = []
    const keyed: string[] = []
    bus.subscribe('**', (e) => wild.push(e.type))
    bus.subscribe('secret.plans', (e) => keyed.push(e.type), { key: 'k' })
    bus.publish('secret.plans')
    bus.publish('open.plans')
    expect(wild).toEqual(['open.plans'])
    expect(keyed).toEqual(['secret.plans'])
  })
})

describe('shutdown', () => {
  it('refuses publishes and subscriptions afterwards with BusClosedError', async () => {
    const bus = createBus({ name: 'closing' })
    const errs = vi.fn()
    bus.errors$.subscribe({ complete: errs })
    await bus.shutdown()
    expect(bus.closed).toBe(true)
    expect(() => bus.publish('a')).toThrow(BusClosedError)
    expect(() => bus.publish('a')).toThrow('Bus "closing" is shut down')
    expect(() => bus.subscribe('a', () => {})).toThrow(BusClosedError)
    await expect(bus.publishAsync('a')).rejects.toThrow(BusClosedError)
    expect(errs).toHaveBeenCalledTimes(1)
    expect(bus.stats().subscriptions).toBe(0)
  })
})

describe('publishAsync', () => {
  it('waits for publish acks (durable writes) before resolving', async () => {
    const bus = createBus()
    const order: string[] = []
    const remove = bridgeHost(bus, 'test').addPublishAck((e) =>
      e.persistent ? new Promise<void>((r) => setTimeout(() => (order.push('written ' + e.type), r()), 5)) : undefined,
    )
    await bus.publishAsync('a', 1, { persistent: true })
    order.push('resolved a')
    await bus.publishAsync('b', 1)
    order.push('resolved b')
    remove()
    await bus.publishAsync('c', 1, { persistent: true })
    order.push('resolved c')
    expect(order).toEqual(['written a', 'resolved a', 'resolved b', 'resolved c'])
  })
})
