// HMAC-SHA-256 over the text of a message, through WebCrypto. With a key, messages travel as
// text so the signature covers exactly what the receiver parses; the text is the project's one
// type-preserving encoding (encode/decode from '@tidings/core/bridge'), so a Map, a Date, a
// BigInt or a cycle in event data arrives as it was sent. Signing and verifying are async; the
// bridge chains them so messages keep their order (see ordered.ts).
import { decode, encode } from '@tidings/core/bridge'
import { createHmac } from './hmac.js'
import { WIRE_TAG, WIRE_VERSION, parseInner, type InnerMessage, type Parsed, type SignedMessage } from './protocol.js'

export interface Signer {
  /** Encodes `msg` now (throws UnencodableValueError naming the path of a value that cannot be
   *  carried), then signs the text. */
  sign(msg: InnerMessage): Promise<SignedMessage>
  /** Verifies and parses; ok: false with forged: true when the signature does not match. */
  open(msg: SignedMessage): Promise<Parsed<InnerMessage> & { forged?: boolean }>
}

/** The text a signed message carries. Synchronous, so a batch that cannot be encoded fails
 *  where it is sent and can be split there. */
export function encodeMessage(msg: InnerMessage): string {
  return encode(msg, `a tabs ${msg.kind} message`)
}

export async function createSigner(key: string | CryptoKey): Promise<Signer> {
  const hmac = await createHmac(key, 'connectTabs({ key })')
  return {
    sign(msg) {
      const body = encodeMessage(msg)
      return hmac.sign(body).then((sig) => ({ tag: WIRE_TAG, v: WIRE_VERSION, kind: 'signed', body, sig }))
    },
    async open(msg) {
      if (!(await hmac.verify(msg.body, msg.sig))) return { ok: false, reason: 'signature does not match', forged: true }
      let inner: unknown
      try {
        inner = decode(msg.body, 'a signed tabs message')
      } catch (err) {
        return { ok: false, reason: err instanceof Error ? err.message : 'signed body could not be decoded' }
      }
      return parseInner(inner)
    },
  }
}
