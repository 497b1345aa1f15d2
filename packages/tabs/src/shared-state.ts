// sharedState: one value kept equal across the tabs of an origin. Every write carries a hybrid
// logical clock stamp and every tab keeps the write with the highest stamp (ties by writer id),
// so concurrent writes from several tabs converge on the same value whatever order they arrive
// in. A new tab asks the open tabs for the value; with `persist` it also reads IndexedDB, which
// is what it gets when no other tab is open. Messages follow the one Tidings convention
// (state-protocol.ts); with a key they are signed by the same code as the tabs bridge (signer.ts)
// and values travel as text in the one type-preserving encoding, so they arrive as they were set.
import { BehaviorSubject, type Observable } from 'rxjs'
import { createOriginId, type Bus, type EventMap, type EventMapOf } from '@tidings/core'
import { broadcast } from './broadcast.js'
import { TabsClosedError, TabsOptionError, TabsUnsupportedError } from './errors.js'
import { checkKeyOption } from './hmac.js'
import { DEFAULT_MAX_SKEW_MS, HybridClock, compareStamps, type Stamp } from './hlc.js'
import { createSigner, encodeMessage, type Signer } from './signer.js'
import { STATE_TAG, STATE_VERSION, parseStateWire, stateProtocol, type StateMessage } from './state-protocol.js'
import { uncloneable } from './shared-state-values.js'
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
   *  and ignored. Default: accept any value. */
  validate?: (value: unknown) => value is T
  /** Channel suffix, to keep states of different apps on one origin apart. Default 'tidings'. */
  channel?: string
  /** Shared secret (>= 16 chars) or HMAC CryptoKey: messages are signed with HMAC-SHA-256 and
   *  unsigned or forged ones dropped. Values then cross as text in the one type-preserving
   *  encoding (docs/encoding.md): they arrive as set, and set() throws on what it cannot carry. */
  key?: string | CryptoKey
  /** How far ahead of this tab's clock a stamp from elsewhere may be (ms, 0 to a day); stamps
   *  further ahead are refused and counted in `refusedStamps`. Default 60000. */
  maxClockSkewMs?: number
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
  /** Stamps (from other tabs or IndexedDB) the clock refused: a counter above 2^31, or more than
   *  `maxClockSkewMs` ahead of this tab's clock. Their values are ignored and the clock is unmoved. */
  refusedStamps: number
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
  /** Sets the value in every tab; a function gets the current value. Returns the new value.
   *  Throws UnencodableValueError, naming the path, for a value that cannot travel (structured
   *  clone refuses it, or with a key the encoding cannot carry it); nothing changes then. */
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

const DAY_MS = 24 * 3600_000

/** The live states of a bus, for @tidings/devtools' state view (it reads this symbol on the bus,
 *  so neither package imports the other). Holds only open states: close() removes it. */
const STATES = Symbol.for('tidings.sharedStates')
function devtoolsRegistry(bus: Bus): Set<unknown> {
  const b = bus as unknown as Record<symbol, Set<unknown> | undefined>
  return (b[STATES] ??= new Set())
}

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
  const skew = options.maxClockSkewMs ?? DEFAULT_MAX_SKEW_MS
  if (typeof skew !== 'number' || !(skew >= 0 && skew <= DAY_MS))
    throw new TabsOptionError('maxClockSkewMs', skew, 'use a number of milliseconds from 0 to 86400000 (a day)')
  return new State<T>(bus as unknown as Bus, key, initial, options, peerWaitMs, skew)
}

class State<T> implements SharedState<T> {
  readonly #subject: BehaviorSubject<T>
  readonly value$: Observable<T>
  readonly ready: Promise<T>
  closed = false
  #current: Stamp | undefined
  readonly #id: string
  readonly #clock: HybridClock
  readonly #bc: BroadcastChannel
  readonly #store: StateStore | undefined
  readonly #validate: ((value: unknown) => boolean) | undefined
  readonly #counters: Omit<SharedStateStats, 'readyFrom'> = {
    sets: 0,
    applied: 0,
    superseded: 0,
    malformed: 0,
    refusedStamps: 0,
    unsigned: 0,
    forged: 0,
    storageErrors: 0,
  }
  readonly #signer: Promise<Signer<StateMessage, typeof STATE_TAG, typeof STATE_VERSION>> | undefined
  readonly #protocol: ReturnType<typeof stateProtocol>
  #readyFrom: SharedStateStats['readyFrom']
  #peerAnswered: (() => void) | undefined
  #currentFrom: 'peer' | 'storage' | 'initial' | 'local' = 'initial'
  #saving = Promise.resolve()
  #saveQueued = false

  readonly #bus: Bus
  readonly key: string
  constructor(
    bus: Bus,
    key: string,
    initial: T,
    options: SharedStateOptions<T>,
    peerWaitMs: number,
    maxSkewMs: number,
  ) {
    this.#bus = bus
    this.key = key
    this.#subject = new BehaviorSubject(initial)
    this.value$ = this.#subject.asObservable()
    // Several states on one bus (or one bus in two frames) must not share a tie-breaker.
    this.#id = `${bus.origin}#${(instances++).toString(36)}.${createOriginId('s').slice(2, 8)}`
    this.#clock = new HybridClock(this.#id, Date.now, maxSkewMs)
    this.#validate = options.validate
    this.#protocol = stateProtocol(key)
    if (options.key !== undefined) {
      this.#signer = createSigner(options.key, this.#protocol, 'sharedState({ key })')
      this.#signer.catch(() => {})
    }
    this.#store = options.persist ? new StateStore(options.dbName ?? 'tidings-state') : undefined
    this.#bc = new BroadcastChannel(`${STATE_TAG}:${options.channel ?? 'tidings'}:${key}`)
    this.#bc.addEventListener('message', (e: MessageEvent) => {
      // Nothing another tab sends may throw into this page.
      try {
        this.#receive(e.data)
      } catch {
        this.#counters.malformed++
      }
    })
    this.#bc.addEventListener('messageerror', () => this.#counters.malformed++)
    this.ready = this.#start(peerWaitMs)
    devtoolsRegistry(bus).add(this)
  }

  get(): T {
    return this.#subject.value
  }

  stamp(): Stamp | undefined {
    return this.#current ? { ...this.#current } : undefined
  }

  stats(): SharedStateStats {
    return { ...this.#counters, readyFrom: this.#readyFrom }
  }

  set(next: T | ((current: T) => T)): T {
    if (this.closed) throw new TabsClosedError(`Shared state "${this.key}"`)
    const value = typeof next === 'function' ? (next as (current: T) => T)(this.#subject.value) : next
    const stamp = this.#clock.tick()
    // Post first: if the value cannot travel, nothing changes anywhere and the caller learns why.
    this.#post(this.#valueMessage(stamp, value))
    this.#counters.sets++
    this.#apply(value, stamp, 'local')
    return value
  }

  flush(): Promise<void> {
    return this.#saving
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    devtoolsRegistry(this.#bus).delete(this)
    this.#bc.close()
    this.#peerAnswered?.()
    void this.#saving.finally(() => this.#store?.close())
    this.#subject.complete()
  }

  async #start(peerWaitMs: number): Promise<T> {
    const fromStorage = this.#store?.load(this.key).catch(() => {
      this.#counters.storageErrors++
      return undefined
    })
    const answered = new Promise<void>((resolve) => (this.#peerAnswered = resolve))
    this.#post(this.#message('ask'))
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([answered, new Promise<void>((resolve) => (timer = setTimeout(resolve, peerWaitMs)))])
    clearTimeout(timer)
    this.#peerAnswered = undefined
    const stored = await fromStorage
    if (stored && !this.closed) {
      if (this.#validate && !this.#validate(stored.value)) this.#counters.malformed++
      else if (this.#clock.refuses(stored.stamp) !== undefined) this.#counters.refusedStamps++
      else this.#apply(stored.value as T, stored.stamp, 'storage')
    }
    this.#readyFrom = this.#currentFrom
    return this.#subject.value
  }

  #message(kind: 'ask' | 'none'): StateMessage {
    return { tag: STATE_TAG, v: STATE_VERSION, kind, from: this.#id }
  }

  #valueMessage(stamp: Stamp, value: unknown): StateMessage {
    return { tag: STATE_TAG, v: STATE_VERSION, kind: 'value', from: this.#id, stamp, value }
  }

  /** Throws (in set()) UnencodableValueError for a value that cannot travel. */
  #post(msg: StateMessage): void {
    if (this.closed) return
    if (!this.#signer) {
      try {
        broadcast(this.#bc, msg)
      } catch (err) {
        throw msg.kind === 'value' ? uncloneable(msg.value, `${this.#protocol.what(msg)}.value`, err) : err
      }
      return
    }
    // Encoded now, so set() throws here on what the encoding cannot carry.
    const body = encodeMessage(msg, this.#protocol)
    // Order between messages does not matter here: last writer wins by stamp, not by arrival.
    this.#signer
      .then((s) => s.signText(body))
      .then(
        (signed) => {
          if (!this.closed) broadcast(this.#bc, signed)
        },
        () => this.#counters.forged++,
      )
  }

  #receive(data: unknown): void {
    if (this.closed) return
    const parsed = parseStateWire(data)
    if (!parsed.ok) {
      // The channel is ours alone: anything on it that is not a message of ours is malformed.
      this.#counters.malformed++
      return
    }
    const msg = parsed.msg
    if (msg.kind !== 'signed') {
      if (this.#signer) this.#counters.unsigned++
      else this.#handle(msg)
      return
    }
    if (!this.#signer) {
      this.#counters.malformed++ // signed, but we have no key to check it
      return
    }
    this.#signer
      .then((s) => s.open(msg))
      .then(
        (opened) => {
          if (this.closed) return
          if (opened.ok) this.#handle(opened.msg)
          else if (opened.forged) this.#counters.forged++
          else this.#counters.malformed++
        },
        () => this.#counters.forged++,
      )
      .catch(() => this.#counters.malformed++)
  }

  #handle(msg: StateMessage): void {
    if (msg.from === this.#id) return
    switch (msg.kind) {
      case 'ask':
        this.#post(this.#current ? this.#valueMessage(this.#current, this.#subject.value) : this.#message('none'))
        return
      case 'none':
        this.#answered()
        return
      case 'value':
        if (this.#validate && !this.#validate(msg.value)) {
          this.#counters.malformed++
          return
        }
        // A stamp the clock cannot go on from (a huge counter, too far ahead) would win every
        // later write or break the clock: refused, and the clock stays as it was.
        if (!this.#clock.observe(msg.stamp)) {
          this.#counters.refusedStamps++
          return
        }
        this.#answered()
        if (this.#apply(msg.value as T, msg.stamp, 'peer')) this.#counters.applied++
        else this.#counters.superseded++
        return
    }
  }

  #answered(): void {
    this.#peerAnswered?.()
  }

  /** Last writer wins: applies the value if its stamp beats the current one. */
  #apply(value: T, stamp: Stamp, from: 'local' | 'peer' | 'storage'): boolean {
    if (this.#current && compareStamps(stamp, this.#current) <= 0) return false
    if (from === 'storage') this.#clock.observe(stamp)
    this.#current = stamp
    this.#currentFrom = from
    this.#subject.next(value)
    if (from !== 'storage') this.#persist()
    try {
      this.#bus.publish(STATE_TOPIC, { key: this.key, value, stamp, from }, { local: true })
    } catch {
      // A closed bus (or a guard on $tidings.**) does not stop the state itself.
    }
    return true
  }

  /** Coalesced write-behind: whatever is current when the previous write ends gets written. */
  #persist(): void {
    const store = this.#store
    if (!store || this.#saveQueued) return
    this.#saveQueued = true
    this.#saving = this.#saving.then(async () => {
      this.#saveQueued = false
      const stamp = this.#current
      if (!stamp) return
      try {
        await store.save(this.key, { value: this.#subject.value, stamp })
      } catch {
        this.#counters.storageErrors++
      }
    })
  }
}
