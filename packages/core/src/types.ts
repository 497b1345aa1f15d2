// Public types of @tidings/core: their names and fields are the public contract (docs/core.md,
// docs/delivery.md).
import type { Observable, Unsubscribable } from 'rxjs'
import type { EventSource, TidingsEvent } from './envelope.js'
import type { InspectionEvent, InspectOptions } from './inspect.js'
import type { StandardSchemaV1 } from './schema.js'
import type { SystemEventFor } from './system-events.js'

// `Symbol.dispose` (explicit resource management) for apps whose `lib` predates it: the same
// declaration TypeScript's own lib and @types/node make, so the three merge.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol
  }
}

/** Maps event types to their data: `{ 'user.login': { userId: string } }`. The default, untyped map. */
export type EventMap = Record<string, unknown>

/**
 * The constraint on an event-map type parameter `M`: any object type, `interface Events { ... }`
 * included. (An interface has no index signature, so `M extends EventMap` would refuse it.)
 */
export type EventMapOf<M> = { [K in keyof M]: unknown }

/** Keys of M whose topic a pattern P may match (best effort at the type level; exact for
 *  literal topics, prefix-aware for `a.*` / `a.**`, all keys otherwise). */
export type MatchingKeys<M extends EventMapOf<M>, P extends string> = string extends keyof M
  ? string
  : P extends keyof M & string
    ? P
    : P extends `${infer Pre}.**`
      ? Pre extends `${string}${'*' | '?' | '[' | '{'}${string}`
        ? keyof M & string
        : Extract<keyof M & string, Pre | `${Pre}.${string}`>
      : P extends `${infer Pre}.*`
        ? Pre extends `${string}${'*' | '?' | '[' | '{'}${string}`
          ? keyof M & string
          : Extract<keyof M & string, `${Pre}.${string}`>
        : keyof M & string

/** The union of typed envelopes for the keys a pattern may match. Patterns that start with `$`
 *  match the system topics (SystemEventMap), on every bus. */
export type EventFor<M extends EventMapOf<M>, P extends string> = P extends `$${string}`
  ? SystemEventFor<P>
  : string extends keyof M
  ? TidingsEvent<unknown, string>
  : { [K in MatchingKeys<M, P>]: TidingsEvent<M[K], K> }[MatchingKeys<M, P>]

export type Patterns<P extends string = string> = P | readonly P[]

export interface PublishOptions {
  correlationId?: string
  causationId?: string
  metadata?: Record<string, unknown>
  source?: EventSource
  priority?: number
  persistent?: boolean
  ttlMs?: number
  /** Never leaves this context (bridges skip it). */
  local?: boolean
  /** Key for topics protected by bus.guard(). */
  key?: string
}

/** publish({ type, data, ...envelope fields }). `id`, `origin`, `seq`, `timestamp` are kept when
 *  given (bridges re-publish foreign envelopes this way), otherwise assigned. */
export type PublishInput<M extends EventMapOf<M>, K extends keyof M & string> = {
  type: K
  data?: M[K]
  id?: string
  origin?: string
  seq?: number
  timestamp?: number
} & PublishOptions

export interface PublishReceipt {
  id: string
  /** Subscriptions whose pattern matched. */
  matched: number
  /** Handlers that ran synchronously inside publish. */
  delivered: number
  /** Accepted into a subscription queue (delivered asynchronously). */
  queued: number
  /** Dropped by a full queue (drop-oldest evictions count here too). */
  dropped: number
  /** Refused by a full 'reject'/'block' queue. */
  rejected: number
}

/** What a full queue does (see QueueOptions.strategy), in the order the docs list them. */
export const QUEUE_STRATEGIES = ['drop-oldest', 'drop-newest', 'block', 'reject'] as const
export type QueueStrategy = (typeof QUEUE_STRATEGIES)[number]

/** The order queued events are handled in: 'fifo' (the default) or 'priority' (the envelope's
 *  `priority`, higher first, FIFO among equals; docs/delivery.md "Priority order"). */
export type QueueOrder = 'fifo' | 'priority'

export interface QueueOptions {
  max: number
  strategy: QueueStrategy
  /** Default 'fifo'. */
  order?: QueueOrder
  /** For 'block': how long publishAsync waits for room. Default 5000. */
  blockTimeoutMs?: number
}

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts: number
  backoffMs?: number
  factor?: number
}

export interface HandlerContext<M extends EventMapOf<M> = EventMap> {
  /** Type-only marker, never set: compares contexts structurally, like Bus's (see there). */
  readonly '~events'?: { readonly [K in keyof M]-?: M[K] }
  /** Aborts on timeout, unsubscribe or shutdown. */
  signal: AbortSignal
  /** 1 for the first attempt. */
  attempt: number
  /** Publishes with this event's correlationId and causationId = this event's id. */
  publish: Bus<M>['publish']
  subscription: Subscription
}

export type Handler<E, M extends EventMapOf<M> = EventMap, R = unknown> = (
  event: E,
  ctx: HandlerContext<M>,
) => R | Promise<R>

export interface SubscribeOptions<E = TidingsEvent> {
  once?: boolean
  filter?: (event: E) => boolean
  /** Higher runs first among one event's handlers. Default 0. */
  priority?: number
  label?: string
  /** Unsubscribes when aborted. */
  signal?: AbortSignal
  timeoutMs?: number
  retry?: RetryOptions
  queue?: QueueOptions
  /** How many queued handler calls run at once. Default 1. */
  concurrency?: number
  /** Key for topics protected by bus.guard(). */
  key?: string
}

/** The counters of a subscription's stats(), in the order stats() lists them. */
export const SUBSCRIPTION_STATS_KEYS = ['received', 'handled', 'dropped', 'rejected', 'errors', 'queued', 'maxQueued'] as const
export type SubscriptionStatsKey = (typeof SUBSCRIPTION_STATS_KEYS)[number]

/** Counters of one subscription: `received` (events it took, after its filter; dropped and
 *  rejected ones included), `handled` (successes; for an inbox: taken by receive), `dropped`,
 *  `rejected`, `errors` (events that failed for good, not attempts), `queued` (waiting now) and
 *  `maxQueued` (the high-water mark). */
export type SubscriptionStats = { [K in SubscriptionStatsKey]: number }

export interface Subscription extends Unsubscribable {
  readonly id: string
  readonly pattern: string | readonly string[]
  readonly active: boolean
  unsubscribe(): void
  /** unsubscribe(), for `using sub = bus.subscribe(...)`. */
  [Symbol.dispose](): void
  stats(): SubscriptionStats
}

/** What bus.register(instance) returns: one handle for every decorated method. */
export interface Registration extends Unsubscribable {
  /** Unsubscribes every @subscribeTo method; @publishes methods throw NotRegisteredError again. */
  unsubscribe(): void
  [Symbol.dispose](): void
}

/** What bus.subscriptions() reports as `kind`: subscribe() without a queue ('handler') or with
 *  one ('queued'), a bus.on() subscriber ('observable'), an inbox, a reply() responder. */
export const SUBSCRIPTION_KINDS = ['handler', 'queued', 'observable', 'inbox', 'reply'] as const
export type SubscriptionKind = (typeof SUBSCRIPTION_KINDS)[number]

export interface SubscriptionInfo extends SubscriptionStats {
  id: string
  patterns: readonly string[]
  kind: SubscriptionKind
  label?: string
  priority: number
  queueMax?: number
  strategy?: QueueOptions['strategy']
  concurrency?: number
}

/** The counters of bus.stats(), in the order stats() lists them. */
export const BUS_STATS_KEYS = ['published', 'delivered', 'dropped', 'rejected', 'errors', 'subscriptions'] as const
export type BusStatsKey = (typeof BUS_STATS_KEYS)[number]

/** Bus-wide counters: events `published`, deliveries inside publish (`delivered`: handlers and
 *  observers), events `dropped` and `rejected` by full queues, final handler failures (`errors`)
 *  and the `subscriptions` registered now. */
export type BusStats = { [K in BusStatsKey]: number }

export interface HandlerFailure {
  error: Error
  event: TidingsEvent
  subscriptionId: string
  label?: string
  attempts: number
}

export interface InboxOptions {
  max?: number
  /** Any queue strategy but 'block' (a reader cannot make a publisher wait). */
  strategy?: Exclude<QueueStrategy, 'block'>
  /** Default 'fifo'; 'priority' hands out higher envelope priority first. */
  order?: QueueOrder
}

export interface Inbox<E = TidingsEvent> extends AsyncIterable<E> {
  readonly id: string
  /** timeoutMs 0 polls; undefined waits until an event arrives or the inbox closes. */
  receive(opts?: { timeoutMs?: number }): Promise<E | undefined>
  receiveBatch(opts: { max: number; timeoutMs?: number }): Promise<E[]>
  close(): void
  /** close(), for `using inbox = bus.inbox(...)`. */
  [Symbol.dispose](): void
  readonly closed: boolean
  stats(): SubscriptionStats
}

export interface HandlerResult {
  subscriptionId: string
  label?: string
  ok: boolean
  value?: unknown
  error?: Error
  attempts: number
  durationMs: number
}

export interface DispatchResult {
  id: string
  ok: boolean
  results: HandlerResult[]
}

export interface ScheduleOptions extends PublishOptions {
  delayMs?: number
  everyMs?: number
  /** With everyMs: how many times in all. Default: until cancelled. */
  times?: number
}

export interface ScheduledEvent {
  cancel(): void
  readonly active: boolean
}

export interface EventDefinition {
  type: string
  description?: string
  schema?: StandardSchemaV1
}

export interface BusOptions<M extends EventMapOf<M> = EventMap> {
  name?: string
  source?: EventSource
  schemas?: { [K in keyof M]?: StandardSchemaV1<unknown, M[K]> }
  /** Bound of the topic -> routes cache, in topics (a whole number >= 1). Default 65,536. The
   *  cache starts at 2048 (or the bound if lower) and doubles while topics that missed it recur. */
  routeCacheSize?: number
  /** Origin id of this context; default a random one. */
  origin?: string
}

export interface TypedEventHandle<T, K extends string, M extends EventMapOf<M>> {
  readonly type: K
  publish(data: T, opts?: PublishOptions): PublishReceipt
  on(opts?: { filter?: (e: TidingsEvent<T, K>) => boolean }): Observable<TidingsEvent<T, K>>
  subscribe(handler: Handler<TidingsEvent<T, K>, M>, opts?: SubscribeOptions<TidingsEvent<T, K>>): Subscription
  subscriberCount(): number
}

/** Runs after an event is delivered locally; publishAsync waits for the returned promises
 *  (history uses it to resolve only after the event is durably written). */
export type PublishAck = (event: TidingsEvent) => Promise<unknown> | undefined | void

export interface Bus<M extends EventMapOf<M> = EventMap> {
  /** Type-only marker, never set. Its mapped-type modifier makes TypeScript compare buses
   *  structurally instead of by the measured variance of M, so a typed `Bus<Events>` can be
   *  passed where a plain `Bus` is expected (connectTabs(bus), openHistory().attach(bus), ...). */
  readonly '~events'?: { readonly [K in keyof M]-?: M[K] }
  readonly name: string
  readonly origin: string
  readonly closed: boolean

  publish<K extends keyof M & string>(type: K, data?: M[K], opts?: PublishOptions): PublishReceipt
  publish<K extends keyof M & string>(input: PublishInput<M, K>): PublishReceipt
  publishAsync<K extends keyof M & string>(type: K, data?: M[K], opts?: PublishOptions): Promise<PublishReceipt>
  publishAsync<K extends keyof M & string>(input: PublishInput<M, K>): Promise<PublishReceipt>

  on<P extends string>(
    pattern: Patterns<P>,
    /** priority: like subscribe's; bridges use it to see events before app handlers. */
    opts?: { filter?: (e: EventFor<M, P>) => boolean; key?: string; priority?: number },
  ): Observable<EventFor<M, P>>
  subscribe<P extends string>(
    pattern: Patterns<P>,
    handler: Handler<EventFor<M, P>, M>,
    opts?: SubscribeOptions<EventFor<M, P>>,
  ): Subscription
  inbox<P extends string>(pattern: Patterns<P>, opts?: InboxOptions): Inbox<EventFor<M, P>>
  dispatch<K extends keyof M & string>(
    type: K,
    data?: M[K],
    opts?: PublishOptions & { timeoutMs?: number; requireHandler?: boolean },
  ): Promise<DispatchResult>
  request<R = unknown, K extends keyof M & string = keyof M & string>(
    type: K,
    data?: M[K],
    opts?: PublishOptions & { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<R>
  reply<P extends string>(pattern: Patterns<P>, handler: Handler<EventFor<M, P>, M>, opts?: SubscribeOptions<EventFor<M, P>>): Subscription
  schedule<K extends keyof M & string>(type: K, data: M[K], opts: ScheduleOptions): ScheduledEvent

  event<K extends keyof M & string>(type: K): TypedEventHandle<M[K], K, M>
  define(type: string, def?: { schema?: StandardSchemaV1; description?: string }): void
  undefine(type: string): boolean
  events(): EventDefinition[]

  subscriptions(): SubscriptionInfo[]
  stats(): BusStats
  subscriberCount(typeOrPattern: string): number
  unsubscribePattern(pattern: string): number

  readonly errors$: Observable<HandlerFailure>
  /** Streams instrumentation (docs/core.md "Inspection"); `options.kinds` limits what this
   *  observer receives, and the bus builds and times only what some inspector asked for. */
  inspect(observer: ((e: InspectionEvent) => void) | { next: (e: InspectionEvent) => void }, options?: InspectOptions): Unsubscribable
  guard(pattern: string, keys: { publishKey?: string; subscribeKey?: string }): void
  /** Which bridge brought this event in ('tabs', 'worker', ...), or undefined for an event
   *  published in this context. Apps use it to tell local events from bridged ones. */
  bridgedBy(event: TidingsEvent): string | undefined
  /** Subscribes the @subscribeTo methods of `instance` and lets its @publishes methods publish
   *  here (docs/core.md "Decorators"). Throws TypeError when it has no decorated method. */
  register(instance: object): Registration

  /** `reason` goes into the `$tidings.bus.shutdown` event (default 'shutdown()'). */
  shutdown(opts?: { drainTimeoutMs?: number; reason?: string }): Promise<{ drained: number; undelivered: number }>
}
