// '@tidings/core/bridge': what bridges (tabs, worker, history, devtools, nats) share. Apps do not
// need it; it is public so that third-party bridges can be built the same way.
export { describeError, isBoolean, isFiniteNumber, isId, isNat, isOptionalString, isRecord, MAX_ID_LENGTH, readTagged, type Tagged } from './wire.js'
export { checkBatch, decodeEvent, encodeBatch, isCanonicalId, MAX_BATCH_EVENTS, NO_PREV, OPTIONAL_ENVELOPE_FIELDS, type Decoded, type EventBatch, type Outgoing } from './codec.js'
export { bridgeHost, incarnationOf, incarnationOfEvent, noteIncarnation, NotABusError, type BridgeHost } from './host.js'
export { ingestBatch, type InboundIssue, type InboundPipe } from './inbound.js'
export { DEFAULT_MAX_BATCH_BYTES, Outbox, type OutboxOptions } from './outbox.js'
export { estimateBytes, estimateEventBytes } from './size.js'
// The first value structured clone would refuse, and its path (the worker bridge and pool, and an
// unkeyed tabs bridge, name it in their errors).
export { findUncloneable, findUncloneableInEvent, type UncloneableValue } from './clone-check.js'
// request/reply across contexts (tabs, workers): see docs/bridges.md.
export { ReplyLink, type ReplyLinkOptions, type ReplyMessage } from './reply-link.js'
export { isRequest, REMOTE_RESPONDER_LABEL, remoteReplies, type RemoteReplies, type RequestCarrier } from './remote-replies.js'
export { ResponderGoneError } from '../request-reply.js'
export { MAX_SEQ_JUMP, PrevTable, SessionTable, type SessionTableOptions, type SessionVerdict } from './sessions.js'
// The one type-preserving text encoding (signed tabs batches and shared state, history export
// and import, the DevTools display): see docs/encoding.md.
export { decode, encode, findUnencodable, type Unencodable } from './encoding.js'
export { MalformedEncodingError, UnencodableValueError } from '../errors.js'
// Turns anything a handler or a remote side threw into an Error (name and message kept).
export { toError } from '../errors.js'
// The one numeric option check, for every package's options.
export { checkNumber } from '../delivery-options.js'
