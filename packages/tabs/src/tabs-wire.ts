// The tabs bridge's channel: its messages over one BroadcastChannel, plain, or with a key signed
// (HMAC, async) and still posted and handled in the order they were sent and received. Every
// message that arrives is untrusted: parseWire checks its shape; with a key, an unsigned or
// wrongly signed message is reported and never handled. Nothing received throws into the page.
import { describeError } from '@tidings/core/bridge'
import { broadcast } from './broadcast.js'
import { Ordered } from './ordered.js'
import { parseWire, WIRE_TAG, WIRE_VERSION, type ByeMessage, type InnerMessage, type SignedMessage } from './protocol.js'
import { createSigner, encodeMessage, TABS_SIGNED, type Signer } from './signer.js'
import type { TabsIssue } from './tabs-types.js'

export interface TabsWireOptions {
  /** The BroadcastChannel's name. */
  name: string
  /** The id of the sending bridge (`from` of its messages). */
  from: string
  /** The shared HMAC key, if any. */
  key: string | CryptoKey | undefined
  /** A checked message from another tab (opened, if signed). */
  handle(msg: InnerMessage): void
  /** Counts and reports what was wrong with a message. */
  issue(kind: TabsIssue['kind'], reason: string, n?: number): void
  /** False once the bridge is closed: nothing received is handled then. */
  open(): boolean
}

export class TabsWire {
  readonly keyed: boolean
  /** Resolves once the key is imported and the bye signed up front (at once without a key). */
  readonly ready: Promise<void>
  readonly #bc: BroadcastChannel
  readonly #ordered = new Ordered()
  readonly #signerReady: Promise<Signer | undefined>
  #signer: Signer | undefined
  #signedBye: SignedMessage | undefined
  readonly #opts: TabsWireOptions

  constructor(opts: TabsWireOptions) {
    this.#opts = opts
    this.keyed = opts.key !== undefined
    this.#signerReady = opts.key === undefined ? Promise.resolve(undefined) : createSigner(opts.key, TABS_SIGNED, 'connectTabs({ key })')
    this.ready = this.#signerReady.then(async (s) => {
      this.#signer = s
      if (s) this.#signedBye = await s.sign(this.#bye())
    })
    // A rejected `ready` must not surface as an unhandled rejection when nobody awaits it.
    this.ready.catch(() => {})
    this.#bc = new BroadcastChannel(opts.name)
    this.#bc.addEventListener('message', (e: MessageEvent) => {
      // Last line of defence: nothing another tab sends may throw into this page.
      try {
        this.#receive(e.data)
      } catch (err) {
        opts.issue('malformed', `a message could not be handled: ${describeError(err)}`)
      }
    })
    this.#bc.addEventListener('messageerror', () => opts.issue('malformed', 'a message could not be deserialized'))
  }

  /** Posts `msg` (signed with a key) and calls `posted` once it is on the channel. Throws when it
   *  cannot be sent: a value structured clone refuses, or with a key one the encoding refuses (so
   *  the Outbox can split a batch). */
  post(msg: InnerMessage, posted: () => void): void {
    if (!this.keyed) {
      broadcast(this.#bc, msg)
      posted()
      return
    }
    this.#sendSigned(msg, posted)
  }

  /** Posts a control message (hello, heartbeat, bye); never throws. */
  send(msg: InnerMessage): void {
    try {
      this.post(msg, () => {})
    } catch {
      // A closed channel, and a control message always encodes: nothing to tell.
    }
  }

  /** Synchronous (pagehide gives no time to sign): with a key, the bye was signed up front. */
  postBye(): void {
    try {
      if (!this.keyed) broadcast(this.#bc, this.#bye())
      else if (this.#signedBye) broadcast(this.#bc, this.#signedBye)
    } catch {
      // closed channel
    }
  }

  /** Resolves once everything signed so far is posted, and everything received handled. */
  drained(): Promise<void> {
    return this.#ordered.drained()
  }

  close(): void {
    this.#bc.close()
  }

  #bye(): ByeMessage {
    return { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'bye', from: this.#opts.from }
  }

  /** Encodes now (throws on what cannot be encoded), signs asynchronously, posts in order. */
  #sendSigned(msg: InnerMessage, posted: () => void): void {
    let signed: Promise<SignedMessage>
    if (this.#signer !== undefined) signed = this.#signer.sign(msg)
    else {
      encodeMessage(msg, TABS_SIGNED) // the key is still being imported: fail now on data that cannot be encoded
      signed = this.#signerReady.then((s) => s!.sign(msg))
    }
    this.#ordered.push(
      signed,
      (m) => {
        try {
          broadcast(this.#bc, m)
          posted()
        } catch {
          // Channel already closed (close() raced a late signature): nothing left to tell.
        }
      },
      (err) => {
        if (msg.kind === 'batch') this.#opts.issue('unsendable', `could not sign a batch of ${msg.batch.n}: ${describeError(err)}`, msg.batch.n)
      },
    )
  }

  #receive(data: unknown): void {
    const opts = this.#opts
    if (!opts.open()) return
    const parsed = parseWire(data)
    if (!parsed.ok) {
      // The channel is ours alone: anything on it that is not a message of ours is malformed.
      opts.issue('malformed', parsed.reason)
      return
    }
    const msg = parsed.msg
    if (msg.kind === 'signed') {
      if (!this.keyed) {
        opts.issue('malformed', 'signed message, but this bridge has no key to check it (pass the same key)')
        return
      }
      const opened = this.#signerReady.then((s) => s!.open(msg))
      this.#ordered.push(
        opened,
        (r) => {
          if (!opts.open()) return
          if (r.ok) opts.handle(r.msg)
          else if ('forged' in r && r.forged) opts.issue('forged', r.reason)
          else opts.issue('malformed', r.reason)
        },
        (err) => opts.issue('forged', `signature check failed: ${describeError(err)}`),
      )
      return
    }
    if (this.keyed) {
      opts.issue('unsigned', `unsigned ${msg.kind} message from ${msg.from}`)
      return
    }
    opts.handle(msg)
  }
}
