// The public API of '@tidings/core': every name is listed, so nothing internal is exported by
// accident. What bridges share (the batch codec, sessions, the outbox, the text encoding, toError)
// is in '@tidings/core/bridge'.
export { createBus } from './bus.js'
export { ERROR_TOPIC } from './publishing.js'
export { createOriginId, type EventSource, type TidingsEvent } from './envelope.js'
export {
  AbortedError,
  BusClosedError,
  GlobsNotLoadedError,
  InvalidTopicError,
  isRetryable,
  NoHandlerError,
  NoResponderError,
  QueueFullError,
  RemoteError,
  SecurityError,
  TidingsError,
  TimeoutError,
  ValidationError,
} from './errors.js'
export { InvalidOptionError } from './errors.js'
export { LazyLoadError, NotRegisteredError } from './errors.js'
export { decoratorsFor, publishes, subscribeTo, type Decorators, type PublishDecorator, type SubscribeDecorator } from './decorators.js'
export { lazy, type LazyOptions } from './lazy.js'
export {
  emitSystemEvent,
  VERSION,
  type ErrorEventData,
  type SubscriptionChange,
  type SystemEventFor,
  type SystemEventMap,
  type SystemTopic,
} from './system-events.js'
export type { InspectionEvent, InspectionKind, InspectOptions } from './inspect.js'
export { compilePattern, compilePatterns, type CompiledPattern } from './pattern.js'
export type { StandardSchemaV1 } from './schema.js'
export { assertPattern, assertTopic, isSystemTopic, isValidTopic, MAX_TOPIC_LENGTH } from './topic.js'
export { checkEnvelope, isTidingsEvent, type EnvelopeCheck } from './validate-envelope.js'
export { batch, ofType, processBounded, type BatchOptions, type ProcessBoundedOptions } from './operators/index.js'
export { BUS_STATS_KEYS, QUEUE_STRATEGIES, SUBSCRIPTION_KINDS, SUBSCRIPTION_STATS_KEYS } from './types.js'
export type {
  Bus,
  BusOptions,
  BusStats,
  BusStatsKey,
  DispatchResult,
  EventDefinition,
  EventFor,
  EventMap,
  EventMapOf,
  Handler,
  HandlerContext,
  HandlerFailure,
  HandlerResult,
  Inbox,
  InboxOptions,
  MatchingKeys,
  Patterns,
  PublishAck,
  PublishInput,
  PublishOptions,
  PublishReceipt,
  QueueOptions,
  QueueOrder,
  QueueStrategy,
  Registration,
  RetryOptions,
  ScheduledEvent,
  ScheduleOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionInfo,
  SubscriptionKind,
  SubscriptionStats,
  SubscriptionStatsKey,
  TypedEventHandle,
} from './types.js'
