// The public API of '@tidings/core' is a curated list: these tests fail when a name is added to or
// dropped from it without updating them, and check the exported lists against what the bus does.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, expectTypeOf, it } from 'vitest'
import * as bridge from './bridge/index.js'
import * as core from './index.js'
import {
  BUS_STATS_KEYS,
  createBus,
  QUEUE_STRATEGIES,
  SUBSCRIPTION_KINDS,
  SUBSCRIPTION_STATS_KEYS,
  type Bus,
  type BusStats,
  type BusStatsKey,
  type QueueOptions,
  type QueueStrategy,
  type SubscriptionKind,
  type SubscriptionStats,
  type SubscriptionStatsKey,
} from './index.js'

const here = path.dirname(fileURLToPath(import.meta.url))

describe("'@tidings/core' exports", () => {
  it('exactly these values (types are listed in index.ts)', () => {
    expect(Object.keys(core).sort()).toEqual(
      [
        'AbortedError',
        'BUS_STATS_KEYS',
        'BusClosedError',
        'ERROR_TOPIC',
        'GlobsNotLoadedError',
        'InvalidOptionError',
        'InvalidTopicError',
        'LazyLoadError',
        'MAX_TOPIC_LENGTH',
        'NoHandlerError',
        'NoResponderError',
        'NotRegisteredError',
        'QUEUE_STRATEGIES',
        'QueueFullError',
        'RemoteError',
        'SUBSCRIPTION_KINDS',
        'SUBSCRIPTION_STATS_KEYS',
        'SecurityError',
        'TidingsError',
        'TimeoutError',
        'VERSION',
        'ValidationError',
        'assertPattern',
        'assertTopic',
        'batch',
        'checkEnvelope',
        'compilePattern',
        'compilePatterns',
        'createBus',
        'createOriginId',
        'decoratorsFor',
        'emitSystemEvent',
        'isRetryable',
        'isSystemTopic',
        'isTidingsEvent',
        'isValidTopic',
        'lazy',
        'ofType',
        'processBounded',
        'publishes',
        'subscribeTo',
      ].sort(),
    )
  })

  it('lists every name: no `export *` or `export type *`', () => {
    const source = readFileSync(path.join(here, 'index.ts'), 'utf8')
    expect(source).not.toMatch(/export\s+(type\s+)?\*/)
  })

  it('internals stay out; what bridges need is in @tidings/core/bridge', () => {
    expect('toError' in core).toBe(false)
    expect(typeof bridge.toError).toBe('function')
    expect(bridge.toError('x').message).toBe('x')
  })
})

describe('the exported lists match the bus', () => {
  it('BUS_STATS_KEYS are the keys of bus.stats(), in order', () => {
    expect(Object.keys(createBus().stats())).toEqual([...BUS_STATS_KEYS])
    expectTypeOf<BusStatsKey>().toEqualTypeOf<keyof BusStats>()
  })

  it('SUBSCRIPTION_STATS_KEYS are the keys of a subscription\'s stats(), in order', () => {
    const bus = createBus()
    expect(Object.keys(bus.subscribe('a', () => {}).stats())).toEqual([...SUBSCRIPTION_STATS_KEYS])
    expect(Object.keys(bus.inbox('a').stats())).toEqual([...SUBSCRIPTION_STATS_KEYS])
    expectTypeOf<SubscriptionStatsKey>().toEqualTypeOf<keyof SubscriptionStats>()
  })

  it('SUBSCRIPTION_KINDS are the kinds the bus reports, one per way to subscribe', () => {
    const bus: Bus = createBus()
    bus.subscribe('a', () => {})
    bus.subscribe('a', () => {}, { concurrency: 1 })
    bus.on('a').subscribe()
    bus.inbox('a')
    bus.reply('a', () => 1)
    bus.subscribe('a', () => {}, { retry: { attempts: 2 } })
    expect(bus.subscriptions().map((s) => s.kind)).toEqual(['handler', 'queued', 'observable', 'inbox', 'reply', 'handler'])
    expect([...new Set(bus.subscriptions().map((s) => s.kind))].sort()).toEqual([...SUBSCRIPTION_KINDS].sort())
  })

  it('QUEUE_STRATEGIES are the strategies a queue accepts; anything else is refused', () => {
    const bus = createBus()
    for (const strategy of QUEUE_STRATEGIES) bus.subscribe('q', () => {}, { queue: { max: 1, strategy } })
    expect(bus.subscriptions().map((s) => s.strategy)).toEqual([...QUEUE_STRATEGIES])
    expect(() => bus.subscribe('q', () => {}, { queue: { max: 1, strategy: 'newest' as never } })).toThrow(core.InvalidOptionError)
    expectTypeOf<QueueStrategy>().toEqualTypeOf<QueueOptions['strategy']>()
  })

  it('the lists are frozen in type (as const), and the unions are exactly their members', () => {
    expectTypeOf<SubscriptionKind>().toEqualTypeOf<'handler' | 'queued' | 'observable' | 'inbox' | 'reply'>()
    expectTypeOf(QUEUE_STRATEGIES).toEqualTypeOf<readonly ['drop-oldest', 'drop-newest', 'block', 'reject']>()
    expectTypeOf(SUBSCRIPTION_KINDS).toEqualTypeOf<readonly ['handler', 'queued', 'observable', 'inbox', 'reply']>()
  })
})
