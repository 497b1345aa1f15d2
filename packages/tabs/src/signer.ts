// HMAC-SHA-256 over the text of a message, through WebCrypto: the one signing path of
// @tidings/tabs (the tabs bridge and shared state). With a key, messages travel as text so the
// signature covers exactly what the receiver parses; the text is the project's one
// type-preserving encoding (encode/decode from '@tidings/core/bridge'), so a Map, a Date, a
// BigInt or a cycle arrives as it was sent. Each protocol (its tag and version, and the parser of
// its inner messages) gets its own signer. Signing and verifying are async; the bridge chains them
// so messages keep their order (see ordered.ts).
import { decode, encode } from '@tidings/core/bridge'
import { createHmac } from './hmac.js'
import { WIRE_TAG, WIRE_VERSION, parseInner, type InnerMessage, type Parsed } from './protocol.js'

/** A protocol whose messages can be signed: `{ tag, v, kind: 'signed', body, sig }` outside,
 *  any `{ tag, v, kind, ... }` message of the protocol inside. */
export interface SignedProtocol<M extends { kind: string }, Tag extends string = string, V extends number = number> {
  readonly tag: Tag
  readonly v: V
  /** Names a message in errors; paths of values that cannot be encoded start with it. */
  what(msg: M): string
  /** Checks an opened inner message. Never throws. */
  parse(inner: unknown): Parsed<M>
}

export interface Signed<Tag extends string = string, V extends number = number> {
  tag: Tag
  v: V
  kind: 'signed'
  body: string
  sig: Uint8Array
}

export interface Signer<M extends { kind: string } = InnerMessage, Tag extends string = typeof WIRE_TAG, V extends number = typeof WIRE_VERSION> {
  /** Encodes `msg` now (throws UnencodableValueError naming the path of a value that cannot be
   *  carried), then signs the text. */
  sign(msg: M): Promise<Signed<Tag, V>>
  /** Signs text encodeMessage() made earlier. */
  signText(body: string): Promise<Signed<Tag, V>>
  /** Verifies and parses; ok: false with forged: true when the signature does not match. */
  open(msg: { body: string; sig: Uint8Array }): Promise<Parsed<M> & { forged?: boolean }>
}

/** The tabs bridge's protocol. */
export const TABS_SIGNED: SignedProtocol<InnerMessage, typeof WIRE_TAG, typeof WIRE_VERSION> = {
  tag: WIRE_TAG,
  v: WIRE_VERSION,
  what: (msg) => `a tabs ${msg.kind} message`,
  parse: parseInner,
}

/** The text a signed message carries. Synchronous, so a message that cannot be encoded fails
 *  where it is sent (a batch can be split there, a shared-state set() throws). */
export function encodeMessage<M extends { kind: string }>(msg: M, protocol: SignedProtocol<M>): string {
  return encode(msg, protocol.what(msg))
}

/** Body and signature of a `{ kind: 'signed' }` message read with readTagged(), or why not. Never throws. */
export function readSigned(msg: Record<string, unknown>): { body: string; sig: Uint8Array } | string {
  try {
    const { body, sig } = msg
    if (typeof body !== 'string') return 'signed message without a string body'
    if (!(sig instanceof Uint8Array) || sig.byteLength !== 32) return 'signed message without a 32-byte signature'
    return { body, sig }
  } catch {
    return 'signed message could not be read'
  }
}

/** `feature` names the caller in errors about the key, e.g. 'connectTabs({ key })'. */
export async function createSigner<M extends { kind: string }, Tag extends string, V extends number>(
  key: string | CryptoKey,
  protocol: SignedProtocol<M, Tag, V>,
  feature: string,
): Promise<Signer<M, Tag, V>> {
  const hmac = await createHmac(key, feature)
  const signText = (body: string): Promise<Signed<Tag, V>> => hmac.sign(body).then((sig) => ({ tag: protocol.tag, v: protocol.v, kind: 'signed', body, sig }))
  return {
    sign: (msg) => signText(encodeMessage(msg, protocol)),
    signText,
    async open(msg) {
      if (!(await hmac.verify(msg.body, msg.sig))) return { ok: false, reason: 'signature does not match', forged: true }
      let inner: unknown
      try {
        inner = decode(msg.body, `a signed ${protocol.tag} message`)
      } catch (err) {
        return { ok: false, reason: err instanceof Error ? err.message : 'signed body could not be decoded' }
      }
      return protocol.parse(inner)
    },
  }
}
