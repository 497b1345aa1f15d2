// Per-session bookkeeping of a receiving bridge: which events it already has (dedupe), whether
// it missed some (gaps), and nothing that a forged message could turn into a mute.
//
// A session is an origin plus the random incarnation of the bus publishing under it, so a tab
// that comes back with the same explicit origin after a reload is a new session and is heard.
// Duplicates are dropped by exact seq only: a forged event can at most take the place of the one
// real event with the same seq, which is no more than publishing a fake event could do. An
// earlier design dropped everything at or below the highest seq seen, so one forged seq of 2^53
// muted an origin for good. Gaps use `prev`, the seq of the previous event of that session the
// sender forwarded: prev above the highest seq we have means something was lost in between.
// A seq far above the highest one is delivered and reported as implausible; it moves the gap
// baseline only when its prev continues the chain we have.
import { NO_PREV } from './codec.js'

/** ok; gap: events before it were lost; late: below a seq already delivered (delivered, out of
 *  order); duplicate: already delivered (dropped); implausible: an implausible jump (delivered). */
export type SessionVerdict = 'ok' | 'gap' | 'late' | 'duplicate' | 'implausible'

/** A jump of more seqs than this in one step is reported and does not move the gap baseline. */
export const MAX_SEQ_JUMP = 1 << 24

interface Session {
  /** Highest seq accepted (the gap baseline), -1 before the first. */
  high: number
  /** Seqs accepted recently, exactly, in the order accepted: a ring bounded by `window`, its
   *  oldest at `next` once full. */
  readonly ring: number[]
  next: number
  /** No seq in the ring is above this (-1 before the first). */
  top: number
  /** The ring's seqs as a set, made once they stop arriving in increasing order. Until then the
   *  ring is sorted, so a seq above `top` is new and any other is found by binary search: the
   *  usual in-order stream costs a ring write per event, no hashing. */
  seen: Set<number> | undefined
}

export interface SessionTableOptions {
  /** Exact seqs remembered per session for dedupe. Default 2048. */
  window?: number
  /** Sessions remembered; the least recently heard is forgotten first. Default 512. Together
   *  with `window` this bounds the memory a flood of made-up sessions can take (~25 MB). */
  maxSessions?: number
}

export class SessionTable {
  readonly #sessions = new Map<string, Session>()
  readonly #window: number
  readonly #maxSessions: number
  #lastKey = ''
  #lastOrigin = ''
  #lastInc = ''
  #last: Session | undefined

  constructor(opts: SessionTableOptions = {}) {
    this.#window = opts.window ?? 2048
    this.#maxSessions = opts.maxSessions ?? 512
  }

  /** Judges event `seq` of session (origin, incarnation) and records it unless it is a duplicate. */
  check(origin: string, incarnation: string, seq: number, prev: number): SessionVerdict {
    const s = this.#session(origin, incarnation)
    if (has(s, seq)) return 'duplicate'
    this.#remember(s, seq)
    const high = s.high
    if (high < 0) {
      s.high = seq
      return 'ok'
    }
    if (seq - high > MAX_SEQ_JUMP) {
      // Only a sender that continues the chain we have may move the baseline that far.
      if (prev === high) s.high = seq
      return 'implausible'
    }
    if (seq < high) return 'late'
    s.high = seq
    return prev !== NO_PREV && prev > high ? 'gap' : 'ok'
  }

  /** Records a seq this context sent itself, so the same event arriving back later is a duplicate. */
  observe(origin: string, incarnation: string, seq: number): void {
    const s = this.#session(origin, incarnation)
    if (has(s, seq)) return
    this.#remember(s, seq)
    if (seq > s.high && (s.high < 0 || seq - s.high <= MAX_SEQ_JUMP)) s.high = seq
  }

  get size(): number {
    return this.#sessions.size
  }

  /** Adds `seq` (not in the ring) as the newest, forgetting the oldest when the ring is full. */
  #remember(s: Session, seq: number): void {
    // Out of increasing order: the ring is no longer sorted, so from now on a set answers.
    if (s.seen === undefined && seq <= s.top) s.seen = new Set(s.ring)
    if (s.ring.length < this.#window) s.ring.push(seq)
    else {
      s.seen?.delete(s.ring[s.next]!)
      s.ring[s.next] = seq
      s.next = (s.next + 1) % this.#window
    }
    s.seen?.add(seq)
    if (seq > s.top) s.top = seq
  }

  #session(origin: string, incarnation: string): Session {
    // Most events come in runs of one session: compare the parts before building the key.
    if (origin === this.#lastOrigin && incarnation === this.#lastInc && this.#last !== undefined) return this.#last
    const key = origin + '\u0000' + incarnation
    if (key === this.#lastKey && this.#last !== undefined) return this.#last
    let s = this.#sessions.get(key)
    if (s === undefined) {
      if (this.#sessions.size >= this.#maxSessions) {
        // Least recently heard first: a flood of made-up sessions evicts its own, not live ones
        // that keep being refreshed below.
        const oldest = this.#sessions.keys().next().value
        if (oldest !== undefined) this.#sessions.delete(oldest)
      }
      s = { high: -1, ring: [], next: 0, top: -1, seen: undefined }
    } else this.#sessions.delete(key)
    this.#sessions.set(key, s) // re-insert: Map order is recency order
    this.#lastKey = key
    this.#lastOrigin = origin
    this.#lastInc = incarnation
    this.#last = s
    return s
  }
}

/** Whether `seq` is among the seqs the session's ring remembers. */
function has(s: Session, seq: number): boolean {
  if (seq > s.top) return false
  if (s.seen !== undefined) return s.seen.has(seq)
  // The ring is sorted from its oldest entry (index `next`, 0 until it is full): binary search.
  const ring = s.ring
  const n = ring.length
  let lo = 0
  let hi = n - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const v = ring[(s.next + mid) % n]!
    if (v === seq) return true
    if (v < seq) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

/** Sender side: the last seq forwarded per session, to fill in `prev`. Bounded like SessionTable. */
export class PrevTable {
  readonly #last = new Map<string, number>()
  readonly #maxSessions: number

  constructor(maxSessions = 4096) {
    this.#maxSessions = maxSessions
  }

  next(origin: string, incarnation: string, seq: number): number {
    const key = origin + '\u0000' + incarnation
    const prev = this.#last.get(key)
    if (prev === undefined && this.#last.size >= this.#maxSessions) {
      const oldest = this.#last.keys().next().value
      if (oldest !== undefined) this.#last.delete(oldest)
    }
    this.#last.set(key, seq)
    return prev ?? NO_PREV
  }
}
