// HMAC-SHA-256 over text through WebCrypto, shared by the tabs bridge and shared state.
import { TabsOptionError, TabsUnsupportedError } from './errors.js'

export interface Hmac {
  sign(text: string): Promise<Uint8Array>
  verify(text: string, sig: Uint8Array): Promise<boolean>
}

const encoder = new TextEncoder()

/** `feature` names the caller in errors, e.g. 'connectTabs({ key })'. */
export async function createHmac(key: string | CryptoKey, feature: string): Promise<Hmac> {
  const subtle = globalThis.crypto?.subtle
  if (!subtle) throw new TabsUnsupportedError('WebCrypto (crypto.subtle)', feature)
  let cryptoKey: CryptoKey
  if (typeof key === 'string') {
    if (key.length < 16) throw new TabsOptionError('key', '(hidden)', 'use a shared secret of at least 16 characters')
    cryptoKey = await subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
  } else {
    cryptoKey = key
  }
  return {
    async sign(text) {
      return new Uint8Array(await subtle.sign('HMAC', cryptoKey, encoder.encode(text)))
    },
    // Copy the signature into a fresh buffer: a view over a shared or offset buffer survives
    // structured clone but not every verify() implementation.
    verify: (text, sig) => subtle.verify('HMAC', cryptoKey, new Uint8Array(sig), encoder.encode(text)),
  }
}

/** Checks a key option before any async work, so bad input throws at the call. */
export function checkKeyOption(key: unknown): void {
  if (key === undefined) return
  if (typeof key !== 'string' && !(typeof CryptoKey === 'function' && key instanceof CryptoKey))
    throw new TabsOptionError('key', key, 'pass a shared secret string (>= 16 characters) or an HMAC CryptoKey')
  if (typeof key === 'string' && key.length < 16) throw new TabsOptionError('key', '(hidden)', 'use a shared secret of at least 16 characters')
}
