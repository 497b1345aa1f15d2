// sharedState: one value kept equal across the tabs of an origin. Every write carries a hybrid
// logical clock stamp and every tab keeps the write with the highest stamp (ties by writer id),
// so concurrent writes from several tabs converge on the same value whatever order they arrive
// in. A new tab asks the open tabs for the value; with `persist` it also reads IndexedDB, which
// is what it gets when no other tab is open.
import { BehaviorSubject, type Observable } from 'rxjs'
import { createOriginId, type Bus, type EventMap, type EventMapOf } from '@tidings/core'
import { broadcast } from './broadcast.js'
import { TabsClosedError, TabsOptionError, TabsUnsupportedError } from './errors.js'
import { checkKeyOption, createHmac, type Hmac } from './hmac.js'
import { HybridClock, compareStamps, isStamp, type Stamp } from './hlc.js'
import { StateStore } from './state-store.js'

export interface SharedStateOptions<T> {
  /** Keep the value in IndexedDB, so it survives when every tab is closed. Default false. */
  persist?: boolean
  /** IndexedDB database name used with persist. Default 'tidings-state'. */
  dbName?: string
  /** How long a new tab waits for an open tab to answer before it settles for IndexedDB or
   *  `initial`. A later answer still updates the value. Default 150 ms. */
  peerWaitMs?: number
  /** Checks values that arrive from other tabs or from IndexedDB; rejected ones are counted
   *  and ignored. Default: accept any structured-cloneable value. */
  validate?: (value: unknown) => value is T
  /** Channel suffix, to keep states of different apps on one origin apart. Default 'tidings'. */
  channel?: string
  /** Shared secret (>= 16 chars) or HMAC CryptoKey: messages are signed with HMAC-SHA-256 and
   *  unsigned or forged ones dropped. Values then cross as JSON. */
  key?: string | CryptoKey
}

export interface SharedStateStats {
  /** Local set() calls. */
  sets: number
  /** Remote writes that won and were applied. */
  applied: number
  /** Remote writes that lost to a newer stamp (or repeated one already known). */
  superseded: number
  /** Messages or stored records that failed validation. */
  malformed: number
  /** With a key: unsigned messages dropped. */
  unsigned: number
  /** With a key: messages whose signature did not verify. */
  forged: number
  /** Where the value came from when `ready` resolved. */
  readyFrom: 'peer' | 'storage' | 'initial' | 'local' | undefined
  /** IndexedDB failures (the state goes on in memory). */
  storageErrors: number
}

export interface SharedState<T> {
  readonly key: string
  /** The current value; replays it to new subscribers, emits on every change. */
  readonly value$: Observable<T>
  get(): T
  /** Sets the value in every tab; a function gets the current value. Returns the new value. */
  set(next: T | ((current: T) => T)): T
  /** Resolves once the value from open tabs (or IndexedDB, or `initial`) is known. */
  readonly ready: Promise<T>
  /** Stamp of the current value (undefined while still `initial`). */
  stamp(): Stamp | undefined
  stats(): SharedStateStats
  /** Resolves when every change so far is in IndexedDB (at once without persist). */
  flush(): Promise<void>
  readonly closed: boolean
  close(): void
}

/** Topic of the local bus event published on each change (never leaves the tab). */
export const STATE_TOPIC = '$tidings.state'

const TAG = 'tidings.state'
const MAX_FUTURE_MS = 24 * 3600_000

type StateMessage =
  | { t: typeof TAG; v: 1; kind: 'ask'; from: string }
  | { t: typeof TAG; v: 1; kind: 'none'; from: string }
  | { t: typeof TAG; v: 1; kind: 'value'; from: string; stamp: Stamp; value: unknown }

let instances = 0

export function sharedState<T, M extends EventMapOf<M> = EventMap>(
  bus: Bus<M>,
  key: string,
  initial: T,
  options: SharedStateOptions<T> = {},
): SharedState<T> {
  if (typeof bus !== 'object' || bus === null || typeof (bus as { origin?: unknown }).origin !== 'string')
    throw new TabsOptionError('bus', bus, 'pass a bus made by createBus() from @tidings/core')
  if (typeof key !== 'string' || key.length === 0 || key.length > 200)
    throw new TabsOptionError('key', key, 'use a non-empty string of at most 200 characters')
  if (typeof BroadcastChannel !== 'function') throw new TabsUnsupportedError('BroadcastChannel', 'sharedState()')
  if (options.persist && typeof indexedDB === 'undefined') throw new TabsUnsupportedError('IndexedDB', 'sharedState({ persist: true })')
  if (options.validate !== undefined && typeof options.validate !== 'function')
    throw new TabsOptionError('validate', options.validate, 'pass a function (value) => boolean')
  checkKeyOption(options.key)
  const peerWaitMs = options.peerWaitMs ?? 150
  if (typeof peerWaitMs !== 'number' || !(peerWaitMs >= 0)) throw new TabsOptionError('peerWaitMs', peerWaitMs, 'use a number >= 0')
  return new State<T>(bus as unknown as Bus, key, initial, options, peerWaitMs)
}

class State<T> implements SharedState<T> {
  private readonly subject: BehaviorSubject<T>
  readonly value$: Observable<T>
  readonly ready: Promise<T>
  closed = false
  private current: Stamp | undefined
  private readonly id: string
  private readonly clock: HybridClock
  private readonly bc: BroadcastChannel
  private readonly store: StateStore | undefined
  private readonly validate: ((value: unknown) => boolean) | undefined
  private readonly counters: Omit<SharedStateStats, 'readyFrom'> = {
    sets: 0,
    applied: 0,
    superseded: 0,
    malformed: 0,
    unsigned: 0,
    forged: 0,
    storageErrors: 0,
  }
  private readonly hmac: Promise<Hmac> | undefined
  private readyFrom: SharedStateStats['readyFrom']
  private peerAnswered: (() => void) | undefined
  private currentFrom: 'peer' | 'storage' | 'initial' | 'local' = 'initial'
  private saving = Promise.resolve()
  private saveQueued = false

  private readonly bus: Bus
  readonly key: string
  constructor(
    bus: Bus,
    key: string,
    initial: T,
    options: SharedStateOptions<T>,
    peerWaitMs: number,
  ) {
    this.bus = bus
    this.key = key
    this.subject = new BehaviorSubject(initial)
    this.value$ = this.subject.asObservable()
    // Several states on one bus (or one bus in two frames) must not share a tie-breaker.
    this.id = `${bus.origin}#${(instances++).toString(36)}.${createOriginId('s').slice(2, 8)}`
    this.clock = new HybridClock(this.id)
    this.validate = options.validate
    if (options.key !== undefined) {
      this.hmac = createHmac(options.key, 'sharedState({ key })')
      this.hmac.catch(() => {})
    }
    this.store = options.persist ? new StateStore(options.dbName ?? 'tidings-state') : undefined
    this.bc = new BroadcastChannel(`${TAG}:${options.channel ?? 'tidings'}:${key}`)
    this.bc.addEventListener('message', (e: MessageEvent) => {
      // Nothing another tab sends may throw into this page.
      try {
        this.receive(e.data)
      } catch {
        this.counters.malformed++
      }
    })
    this.bc.addEventListener('messageerror', () => this.counters.malformed++)
    this.ready = this.start(peerWaitMs)
  }

  get(): T {
    return this.subject.value
  }

  stamp(): Stamp | undefined {
    return this.current ? { ...this.current } : undefined
  }

  stats(): SharedStateStats {
    return { ...this.counters, readyFrom: this.readyFrom }
  }

  set(next: T | ((current: T) => T)): T {
    if (this.closed) throw new TabsClosedError(`Shared state "${this.key}"`)
    const value = typeof next === 'function' ? (next as (current: T) => T)(this.subject.value) : next
    const stamp = this.clock.tick()
    // Post first: if the value cannot be cloned, nothing changes anywhere and the caller learns why.
    this.post({ t: TAG, v: 1, kind: 'value', from: this.id, stamp, value })
    this.counters.sets++
    this.apply(value, stamp, 'local')
    return value
  }

  flush(): Promise<void> {
    return this.saving
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.bc.close()
    this.peerAnswered?.()
    void this.saving.finally(() => this.store?.close())
    this.subject.complete()
  }

  private async start(peerWaitMs: number): Promise<T> {
    const fromStorage = this.store?.load(this.key).catch(() => {
      this.counters.storageErrors++
      return undefined
    })
    const answered = new Promise<void>((resolve) => (this.peerAnswered = resolve))
    this.post({ t: TAG, v: 1, kind: 'ask', from: this.id })
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([answered, new Promise<void>((resolve) => (timer = setTimeout(resolve, peerWaitMs)))])
    clearTimeout(timer)
    this.peerAnswered = undefined
    const stored = await fromStorage
    if (stored && !this.closed) {
      if (this.validate && !this.validate(stored.value)) this.counters.malformed++
      else this.apply(stored.value as T, stored.stamp, 'storage')
    }
    this.readyFrom = this.currentFrom
    return this.subject.value
  }

  private post(msg: StateMessage): void {
    if (this.closed) return
    if (!this.hmac) {
      broadcast(this.bc, msg)
      return
    }
    // JSON drops `value: undefined`; flag it. Throws here (in set) when the value is not JSON.
    const body = JSON.stringify(msg.kind === 'value' && msg.value === undefined ? { ...msg, value: null, uv: true } : msg)
    // Order between messages does not matter here: last writer wins by stamp, not by arrival.
    this.hmac
      .then((h) => h.sign(body))
      .then(
        (sig) => {
          if (!this.closed) broadcast(this.bc, { t: TAG, v: 1, kind: 'signed', body, sig })
        },
        () => this.counters.forged++,
      )
  }

  private receive(data: unknown): void {
    if (this.closed) return
    const signed = data as { t?: unknown; v?: unknown; kind?: unknown; body?: unknown; sig?: unknown } | null
    const isSigned = typeof signed === 'object' && signed !== null && signed.t === TAG && signed.kind === 'signed'
    if (!this.hmac) {
      if (isSigned) this.counters.malformed++ // signed, but we have no key to check it
      else this.handle(data)
      return
    }
    if (!isSigned) {
      this.counters.unsigned++
      return
    }
    const { body, sig } = signed
    if (signed.v !== 1 || typeof body !== 'string' || !(sig instanceof Uint8Array) || sig.byteLength !== 32) {
      this.counters.malformed++
      return
    }
    this.hmac
      .then((h) => h.verify(body, sig))
      .then(
        (ok) => {
          if (this.closed) return
          if (!ok) {
            this.counters.forged++
            return
          }
          let inner: unknown
          try {
            inner = JSON.parse(body)
          } catch {
            this.counters.malformed++
            return
          }
          if (typeof inner === 'object' && inner !== null && (inner as { uv?: unknown }).uv === true) (inner as { value?: unknown }).value = undefined
          this.handle(inner)
        },
        () => this.counters.forged++,
      )
  }

  private handle(data: unknown): void {
    const msg = parse(data)
    if (!msg) {
      this.counters.malformed++
      return
    }
    if (msg.from === this.id) return
    switch (msg.kind) {
      case 'ask':
        if (this.current) this.post({ t: TAG, v: 1, kind: 'value', from: this.id, stamp: this.current, value: this.subject.value })
        else this.post({ t: TAG, v: 1, kind: 'none', from: this.id })
        return
      case 'none':
        this.answered()
        return
      case 'value':
        if (msg.stamp.t > Date.now() + MAX_FUTURE_MS || (this.validate && !this.validate(msg.value))) {
          // A stamp a day ahead would win every later write: treat it as garbage.
          this.counters.malformed++
          return
        }
        this.answered()
        this.clock.observe(msg.stamp)
        if (this.apply(msg.value as T, msg.stamp, 'peer')) this.counters.applied++
        else this.counters.superseded++
        return
    }
  }

  private answered(): void {
    this.peerAnswered?.()
  }

  /** Last writer wins: applies the value if its stamp beats the current one. */
  private apply(value: T, stamp: Stamp, from: 'local' | 'peer' | 'storage'): boolean {
    if (this.current && compareStamps(stamp, this.current) <= 0) return false
    if (from === 'storage') this.clock.observe(stamp)
    this.current = stamp
    this.currentFrom = from
    this.subject.next(value)
    if (from !== 'storage') this.persist()
    try {
      this.bus.publish(STATE_TOPIC, { key: this.key, value, stamp, from }, { local: true })
    } catch {
      // A closed bus (or a guard on $tidings.**) does not stop the state itself.
    }
    return true
  }

  /** Coalesced write-behind: whatever is current when the previous write ends gets written. */
  private persist(): void {
    const store = this.store
    if (!store || this.saveQueued) return
    this.saveQueued = true
    this.saving = this.saving.then(async () => {
      this.saveQueued = false
      const stamp = this.current
      if (!stamp) return
      try {
        await store.save(this.key, { value: this.subject.value, stamp })
      } catch {
        this.counters.storageErrors++
      }
    })
  }
}

function parse(data: unknown): StateMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const m = data as Record<string, unknown>
  if (m['t'] !== TAG || m['v'] !== 1 || typeof m['from'] !== 'string' || m['from'].length === 0 || m['from'].length > 300) return undefined
  switch (m['kind']) {
    case 'ask':
    case 'none':
      return m as unknown as StateMessage
    case 'value':
      return isStamp(m['stamp']) && 'value' in m ? (m as unknown as StateMessage) : undefined
    default:
      return undefined
  }
}
