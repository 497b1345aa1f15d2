// electLeader: exactly one leader among the open tabs (and workers) of an origin, through an
// exclusive Web Lock. The leader holds the lock for as long as it leads; the browser releases it
// when the leader's tab closes or crashes, and grants it to the next tab waiting in line, so
// handover needs no timeouts or heartbeats.
import { BehaviorSubject, distinctUntilChanged, type Observable } from 'rxjs'
import { TabsClosedError, TabsOptionError, TabsUnsupportedError } from './errors.js'

export interface LeaderElection {
  readonly name: string
  /** Whether this tab leads now; replays the current state, completes on close(). */
  readonly isLeader$: Observable<boolean>
  readonly isLeader: boolean
  readonly closed: boolean
  /** Resolves when this tab leads (at once if it does); rejects with TabsClosedError on close(). */
  whenLeader(): Promise<void>
  /** Hands leadership to the next waiting tab. With `rejoin` (default) this tab queues up again
   *  behind the others, so it leads again only if no one else is waiting. */
  abdicate(opts?: { rejoin?: boolean }): Promise<void>
  /** Leaves the election (abdicating first if leading). */
  close(): Promise<void>
  /** Whether another tab or worker of this origin leads this election now, from a Web Locks
   *  query (`navigator.locks.query()`, answered within a task). False while this one leads,
   *  while nobody does, and after close(). A context that has just started tells "someone else
   *  leads" (true) from "the lead is on its way to me" (false, then isLeader$ emits true). */
  leaderElsewhere(): Promise<boolean>
}

const LOCK_PREFIX = 'tidings.leader:'

export function electLeader(name: string): LeaderElection {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200)
    throw new TabsOptionError('name', name, 'use a non-empty string of at most 200 characters')
  const locks = globalThis.navigator?.locks
  if (!locks || typeof locks.request !== 'function') throw new TabsUnsupportedError('the Web Locks API (navigator.locks)', 'electLeader()')
  return new Election(name, locks)
}

class Election implements LeaderElection {
  readonly #state = new BehaviorSubject(false)
  readonly isLeader$: Observable<boolean> = this.#state.pipe(distinctUntilChanged())
  closed = false
  /** Resolves the promise the lock callback returns: releasing it releases the lock. */
  #release: (() => void) | undefined
  /** Settles when the current lock request is over (lock released or request aborted). */
  #held: Promise<void> = Promise.resolve()
  #waiting: AbortController | undefined
  #waiters: { resolve: () => void; reject: (e: Error) => void }[] = []

  readonly name: string
  readonly #locks: LockManager
  constructor(
    name: string,
    locks: LockManager,
  ) {
    this.name = name
    this.#locks = locks
    this.#campaign()
  }

  get isLeader(): boolean {
    return this.#state.value
  }

  whenLeader(): Promise<void> {
    if (this.closed) return Promise.reject(new TabsClosedError(`Leader election "${this.name}"`))
    if (this.#state.value) return Promise.resolve()
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  async leaderElsewhere(): Promise<boolean> {
    if (this.closed || this.#state.value) return false
    const { held } = await this.#locks.query()
    // Held, and isLeader is false here: held by another context, unless the lock was granted to
    // this one in the instant before its callback ran (isLeader is set in that callback), which
    // the query cannot tell apart (it names clients, and a context does not know its own id).
    return !this.closed && !this.#state.value && (held ?? []).some((lock) => lock.name === LOCK_PREFIX + this.name)
  }

  async abdicate(opts: { rejoin?: boolean } = {}): Promise<void> {
    if (this.closed) return
    if (!this.#release) {
      // Not leading: not rejoining means leaving the line.
      if (opts.rejoin === false) this.#waiting?.abort()
      return
    }
    this.#release()
    this.#release = undefined
    await this.#held
    if (opts.rejoin !== false && !this.closed) this.#campaign()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.#waiting?.abort()
    this.#release?.()
    this.#release = undefined
    await this.#held
    this.#state.next(false)
    this.#state.complete()
    const err = new TabsClosedError(`Leader election "${this.name}"`)
    for (const w of this.#waiters.splice(0)) w.reject(err)
  }

  #campaign(): void {
    const ctrl = new AbortController()
    this.#waiting = ctrl
    this.#held = this.#locks
      .request(LOCK_PREFIX + this.name, { mode: 'exclusive', signal: ctrl.signal }, () => {
        this.#waiting = undefined
        if (this.closed) return undefined
        return new Promise<void>((resolve) => {
          this.#release = resolve
          this.#state.next(true)
          for (const w of this.#waiters.splice(0)) w.resolve()
        })
      })
      .then(
        () => {
          if (!this.closed) this.#state.next(false)
        },
        () => {
          // AbortError: close() or abdicate({ rejoin: false }) left the line, or another context
          // took the lock with { steal: true }: either way this tab does not lead now.
          this.#release = undefined
          if (!this.closed) this.#state.next(false)
        },
      )
  }
}
