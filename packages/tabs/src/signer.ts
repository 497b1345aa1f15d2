// HMAC-SHA-256 over the JSON text of a message, through WebCrypto. Signing and verifying are
// async; the bridge chains them so messages keep their order (see ordered-queue.ts).
import { TabsOptionError, TabsUnsupportedError } from './errors.ts'
import {
  WIRE_TAG,
  WIRE_VERSION,
  parseInner,
  type BatchMessage,
  type InnerMessage,
  type Parsed,
  type SignedMessage,
} from './protocol.ts'

export interface Signer {
  sign(msg: InnerMessage): Promise<SignedMessage>
  /** Verifies and parses; ok: false with reason 'forged' when the signature does not match. */
  open(msg: SignedMessage): Promise<Parsed<InnerMessage> & { forged?: boolean }>
}

const encoder = new TextEncoder()

export async function createSigner(key: string | CryptoKey): Promise<Signer> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle) throw new TabsUnsupportedError('WebCrypto (crypto.subtle)', 'connectTabs({ key })')
  let cryptoKey: CryptoKey
  if (typeof key === 'string') {
    if (key.length < 16) throw new TabsOptionError('key', key, 'use a shared secret of at least 16 characters')
    cryptoKey = await subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
  } else {
    cryptoKey = key
  }
  return {
    async sign(msg) {
      const body = encodeInner(msg)
      const sig = new Uint8Array(await subtle.sign('HMAC', cryptoKey, encoder.encode(body)))
      return { t: WIRE_TAG, v: WIRE_VERSION, kind: 'signed', body, sig }
    },
    async open(msg) {
      // Copy into a fresh buffer: a Uint8Array view over a shared or offset buffer is allowed by
      // structured clone but not by every verify() implementation.
      const ok = await subtle.verify('HMAC', cryptoKey, new Uint8Array(msg.sig), encoder.encode(msg.body))
      if (!ok) return { ok: false, reason: 'signature does not match', forged: true }
      let inner: unknown
      try {
        inner = JSON.parse(msg.body)
      } catch {
        return { ok: false, reason: 'signed body is not JSON' }
      }
      const parsed = parseInner(inner)
      if (parsed.ok && parsed.msg.kind === 'batch') restoreUndefined(parsed.msg)
      return parsed
    },
  }
}

/** JSON turns `undefined` in the data column into null: remember where it was. */
function encodeInner(msg: InnerMessage): string {
  if (msg.kind !== 'batch') return JSON.stringify(msg)
  const u: number[] = []
  for (let i = 0; i < msg.d.length; i++) if (msg.d[i] === undefined) u.push(i)
  return JSON.stringify(u.length > 0 ? { ...msg, u } : msg)
}

function restoreUndefined(msg: BatchMessage): void {
  if (!msg.u) return
  for (const i of msg.u) msg.d[i] = undefined
}
