// Validation of envelopes that arrive from elsewhere (other tabs, workers, IndexedDB imports, the
// extension). Such input is untrusted: check every field's type and the topic rules, and say
// which field is wrong instead of throwing into the app.
import type { TidingsEvent } from './envelope.js'
import { isValidTopic } from './topic.js'

export type EnvelopeCheck = { ok: true; event: TidingsEvent } | { ok: false; reason: string }

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const optString = (v: unknown) => v === undefined || typeof v === 'string'
const MAX_ID = 200

export function checkEnvelope(input: unknown): EnvelopeCheck {
  if (!isObj(input)) return { ok: false, reason: 'envelope is not an object' }
  const e = input
  if (e['version'] !== 1) return { ok: false, reason: `unsupported envelope version ${String(e['version'])}` }
  if (typeof e['id'] !== 'string' || e['id'].length === 0 || e['id'].length > MAX_ID) return { ok: false, reason: 'id must be a non-empty string' }
  if (!isValidTopic(e['type'])) return { ok: false, reason: `type ${JSON.stringify(e['type'])} is not a valid topic` }
  if (typeof e['timestamp'] !== 'number' || !Number.isFinite(e['timestamp'])) return { ok: false, reason: 'timestamp must be a finite number' }
  if (typeof e['origin'] !== 'string' || e['origin'].length === 0 || e['origin'].length > MAX_ID) return { ok: false, reason: 'origin must be a non-empty string' }
  if (typeof e['seq'] !== 'number' || !Number.isSafeInteger(e['seq']) || e['seq'] < 0) return { ok: false, reason: 'seq must be a non-negative integer' }
  if (!('data' in e)) return { ok: false, reason: 'data is missing' }
  if (!optString(e['correlationId']) || !optString(e['causationId'])) return { ok: false, reason: 'correlationId/causationId must be strings' }
  if (e['metadata'] !== undefined && !isObj(e['metadata'])) return { ok: false, reason: 'metadata must be an object' }
  if (e['source'] !== undefined) {
    const s = e['source']
    if (!isObj(s) || !optString(s['component']) || !optString(s['instanceId'])) return { ok: false, reason: 'source must be { component?, instanceId? }' }
  }
  if (e['priority'] !== undefined && typeof e['priority'] !== 'number') return { ok: false, reason: 'priority must be a number' }
  if (e['persistent'] !== undefined && typeof e['persistent'] !== 'boolean') return { ok: false, reason: 'persistent must be a boolean' }
  if (e['ttlMs'] !== undefined && (typeof e['ttlMs'] !== 'number' || !(e['ttlMs'] > 0))) return { ok: false, reason: 'ttlMs must be a positive number' }
  return { ok: true, event: e as unknown as TidingsEvent }
}

export function isTidingsEvent(input: unknown): input is TidingsEvent {
  return checkEnvelope(input).ok
}
