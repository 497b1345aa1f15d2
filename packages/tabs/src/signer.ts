// HMAC-SHA-256 over the JSON text of a message, through WebCrypto. Signing and verifying are
// async; the bridge chains them so messages keep their order (see ordered.ts).
import { createHmac } from './hmac.js'
import {
  WIRE_TAG,
  WIRE_VERSION,
  parseInner,
  type BatchMessage,
  type InnerMessage,
  type Parsed,
  type SignedMessage,
} from './protocol.js'

export interface Signer {
  sign(msg: InnerMessage): Promise<SignedMessage>
  /** Verifies and parses; ok: false with reason 'forged' when the signature does not match. */
  open(msg: SignedMessage): Promise<Parsed<InnerMessage> & { forged?: boolean }>
}

export async function createSigner(key: string | CryptoKey): Promise<Signer> {
  const hmac = await createHmac(key, 'connectTabs({ key })')
  return {
    async sign(msg) {
      const body = encodeInner(msg)
      return { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'signed', body, sig: await hmac.sign(body) }
    },
    async open(msg) {
      if (!(await hmac.verify(msg.body, msg.sig))) return { ok: false, reason: 'signature does not match', forged: true }
      let inner: unknown
      try {
        inner = JSON.parse(msg.body)
      } catch {
        return { ok: false, reason: 'signed body is not JSON' }
      }
      const parsed = parseInner(inner)
      if (parsed.ok && parsed.msg.kind === 'batch') restoreUndefined(parsed.msg, inner)
      return parsed
    },
  }
}

/** JSON turns `undefined` in the data column into null: remember where it was. */
function encodeInner(msg: InnerMessage): string {
  if (msg.kind !== 'batch') return JSON.stringify(msg)
  const u: number[] = []
  const d = msg.batch.d
  for (let i = 0; i < d.length; i++) if (d[i] === undefined) u.push(i)
  return JSON.stringify(u.length > 0 ? { ...msg, u } : msg)
}

function restoreUndefined(msg: BatchMessage, inner: unknown): void {
  const u = (inner as { u?: unknown }).u
  if (!Array.isArray(u)) return
  for (const i of u) if (typeof i === 'number' && Number.isInteger(i) && i >= 0 && i < msg.batch.n) msg.batch.d[i] = undefined
}
