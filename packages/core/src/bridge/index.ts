// '@tidings/core/bridge': what bridges (tabs, worker, history, devtools, nats) share. Apps do not
// need it; it is public so that third-party bridges can be built the same way.
export { describeError, isBoolean, isFiniteNumber, isId, isNat, isOptionalString, isRecord, MAX_ID_LENGTH, readTagged, type Tagged } from './wire.js'
