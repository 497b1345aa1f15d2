// One event per NATS message: the envelope, its session's incarnation and its `prev`, as a
// one-event batch of the shared codec, written with the one type-preserving text encoding (so a
// Map, a Date or a BigInt arrives as itself on the other device). The receiver runs it through
// the same pipe as every bridge (checkBatch, checkEnvelope, sessions).
import type { TidingsEvent } from '@tidings/core'
import { decode, encode, encodeBatch, type EventBatch } from '@tidings/core/bridge'

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

/** The bytes of one event's message. Throws UnencodableValueError (naming the path) for data the
 *  encoding refuses. */
export function encodeFrame(event: TidingsEvent, incarnation: string, prev: number): Uint8Array {
  return utf8.encode(encode(encodeBatch([{ event, incarnation, prev }]), 'event'))
}

/** The batch a message carries (unchecked: ingestBatch checks it). Throws MalformedEncodingError
 *  or a TypeError for bytes that are not UTF-8. */
export function decodeFrame(data: Uint8Array): unknown {
  return decode(fromUtf8.decode(data), 'NATS message')
}

/** The type of a one-event batch, or undefined if it has no readable one. */
export function frameType(batch: unknown): string | undefined {
  try {
    const b = batch as EventBatch
    const i = b.tx[0]
    const t = typeof i === 'number' ? b.tt[i] : undefined
    return typeof t === 'string' && b.n === 1 ? t : undefined
  } catch {
    return undefined
  }
}

/** A request's answer: the value, or the responder's error (name and message). */
export type Answer = { ok: true; value: unknown } | { ok: false; name: string; message: string }

export function encodeAnswer(a: Answer): Uint8Array {
  return utf8.encode(encode(a, 'reply'))
}

export function decodeAnswer(data: Uint8Array): Answer {
  const v = decode(fromUtf8.decode(data), 'NATS reply') as Record<string, unknown> | null
  if (typeof v === 'object' && v !== null) {
    if (v['ok'] === true) return { ok: true, value: v['value'] }
    if (v['ok'] === false && typeof v['name'] === 'string' && typeof v['message'] === 'string')
      return { ok: false, name: v['name'].slice(0, 200), message: v['message'].slice(0, 2000) }
  }
  return { ok: false, name: 'NatsMalformedError', message: 'the reply was not a Tidings answer' }
}
