export { connectNats, NATS_BRIDGE } from './connect-nats.js'
export type { NatsBridge, NatsIssue, NatsJetStreamOptions, NatsOptions, NatsReplay, NatsStats, NatsStatus } from './types.js'
export { NatsConnectionError, NatsMalformedError, NatsOptionError, NatsPermissionError, NatsUnsupportedError } from './errors.js'
export { escapeTopic, filtersFor, subjectFor, topicOf } from './subjects.js'
