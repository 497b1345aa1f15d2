// The one message convention of every Tidings wire protocol (tabs, worker, pool, shared state,
// devtools): `{ tag, v, kind, ... }`. `tag` names the protocol, `v` its version, `kind` the
// message. Everything that arrives over a channel is untrusted, so receivers classify a message
// with readTagged() and check its fields with the guards below before anything reads them.

/** Longest id, name or origin a receiver accepts (a hostile sender could post huge strings). */
export const MAX_ID_LENGTH = 200

/** A plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A non-empty string of at most `max` characters. */
export function isId(v: unknown, max = MAX_ID_LENGTH): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max
}

/** undefined, or a string of at most `max` characters. */
export function isOptionalString(v: unknown, max = MAX_ID_LENGTH): v is string | undefined {
  return v === undefined || (typeof v === 'string' && v.length <= max)
}

/** A finite number. */
export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** A safe integer >= 0 (counts, sequence numbers, indexes). */
export function isNat(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

export function isBoolean(v: unknown): v is boolean {
  return typeof v === 'boolean'
}

/** What readTagged() makes of a message. */
export type Tagged =
  /** Not a message of this protocol (another protocol's, an app's): not ours to judge. */
  | { status: 'foreign' }
  /** This protocol's tag, but not a version or shape we speak. */
  | { status: 'malformed'; reason: string }
  | { status: 'ok'; kind: string; msg: Record<string, unknown> }

/**
 * Classifies `data` as a message of the protocol `tag` at `version`. Reads only `tag`, `v` and
 * `kind`, each once, inside a try: a hostile object with throwing getters is 'malformed', never
 * an exception.
 */
export function readTagged(data: unknown, tag: string, version: number): Tagged {
  try {
    if (!isRecord(data) || data['tag'] !== tag) return { status: 'foreign' }
    const v = data['v']
    if (v !== version) return { status: 'malformed', reason: `unsupported ${tag} protocol version ${String(v).slice(0, 20)} (this side speaks ${version})` }
    const kind = data['kind']
    if (!isId(kind, 40)) return { status: 'malformed', reason: `${tag} message without a kind` }
    return { status: 'ok', kind, msg: data }
  } catch (err) {
    return { status: 'malformed', reason: `${tag} message could not be read: ${describeError(err)}` }
  }
}

/** A short description of anything thrown, for issue reasons (never throws itself). */
export function describeError(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 500)
    return String(err).slice(0, 500)
  } catch {
    return 'an unreadable error'
  }
}
