// One NATS message carries a run of events of one type (the subject's), as a batch of the shared
// codec: `[1, batch]` as text. Data that is plain JSON
// (plain objects, dense arrays, strings, finite numbers but -0, booleans, null; no shared or
// cyclic references) is written as JSON, marked 'J': exact for such data, and several times
// cheaper than the walk of the full encoding. Anything else (a Map, a Date, a BigInt, undefined,
// a cycle...) is written with the one type-preserving encoding, marked 'D', so it arrives as
// itself. The receiver runs the batch through the same pipe as every bridge (checkBatch,
// checkEnvelope, sessions): nothing here trusts the sender.
import { decode, encode, encodeBatch, isRecord, type Outgoing } from '@tidings/core/bridge'

export const utf8 = new TextEncoder()
export const fromUtf8 = new TextDecoder('utf-8', { fatal: true })
const FRAME_VERSION = 1
/** Nodes the JSON check looks at before it hands the value to the full encoding. */
const PLAIN_BUDGET = 5000

/** Whether `v` survives JSON exactly. Never throws (a throwing getter means "not plain"). */
function isPlainJson(v: unknown): boolean {
  const seen = new Set<object>()
  let budget = PLAIN_BUDGET
  const plain = (x: unknown, depth: number): boolean => {
    switch (typeof x) {
      case 'string':
      case 'boolean':
        return true
      case 'number':
        return Number.isFinite(x) && !Object.is(x, -0)
      case 'object': {
        if (x === null) return true
        if (--budget < 0 || depth > 100 || seen.has(x)) return false
        seen.add(x)
        if (Array.isArray(x)) {
          if (Object.getPrototypeOf(x) !== Array.prototype || Object.keys(x).length !== x.length) return false
          for (let i = 0; i < x.length; i++) if (!plain(x[i], depth + 1)) return false
          return true
        }
        const proto: unknown = Object.getPrototypeOf(x)
        if (proto !== Object.prototype && proto !== null) return false
        const rec = x as Record<string, unknown>
        for (const k in rec) {
          const y = rec[k]
          if (y === undefined || !plain(y, depth + 1)) return false
        }
        return true
      }
      default:
        return false
    }
  }
  try {
    return plain(v, 0)
  } catch {
    return false
  }
}

/** The bytes of one message: a run of events of one type (each with its session's incarnation
 *  and `prev`) as a batch of the shared codec. Throws UnencodableValueError (naming the path) for
 *  data the encoding refuses. */
export function encodeFrame(items: readonly Outgoing[]): Uint8Array {
  const batch = encodeBatch(items)
  let plain = true
  for (let i = 0; plain && i < batch.n; i++) plain = isPlainJson(batch.d[i]) && (batch.x === undefined || isPlainJson(batch.x[i]))
  if (plain) return utf8.encode('J' + JSON.stringify([FRAME_VERSION, batch]))
  return utf8.encode('D' + encode([FRAME_VERSION, batch], 'event'))
}

/** The batch a message carries (unchecked: ingestBatch checks it). Throws MalformedEncodingError,
 *  a SyntaxError or a TypeError (not UTF-8, not a frame) for anything else. */
export function decodeFrame(data: Uint8Array): unknown {
  const text = fromUtf8.decode(data)
  const mark = text.charCodeAt(0)
  const frame: unknown = mark === 74 /* J */ ? JSON.parse(text.slice(1)) : mark === 68 /* D */ ? decode(text.slice(1), 'NATS message') : undefined
  if (!Array.isArray(frame) || frame.length !== 2 || frame[0] !== FRAME_VERSION) throw new TypeError(`not a Tidings NATS frame (version ${FRAME_VERSION})`)
  return frame[1]
}

/** The one type every event of a message has (its types table), or undefined. */
export function frameType(batch: unknown): string | undefined {
  if (!isRecord(batch)) return undefined
  const tt = batch['tt']
  return Array.isArray(tt) && tt.length === 1 && typeof tt[0] === 'string' ? tt[0] : undefined
}
