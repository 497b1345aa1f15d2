// How often and how late a failed handler is tried again.
import { checkDuration, checkPositiveInt, InvalidOptionError } from './delivery-options.js'
import type { RetryOptions } from './types.js'

/** Retry policy: `attempts` in all (first included); the wait before attempt n+1 is
 *  backoffMs * factor^(n-1). */
export class RetryPolicy {
  static readonly none = new RetryPolicy({ attempts: 1 })
  readonly attempts: number
  readonly backoffMs: number
  readonly factor: number

  constructor(r: RetryOptions) {
    this.attempts = checkPositiveInt(r.attempts, 'retry.attempts')
    this.backoffMs = checkDuration(r.backoffMs ?? 0, 'retry.backoffMs')
    this.factor = r.factor ?? 2
    if (typeof this.factor !== 'number' || !(this.factor >= 1) || this.factor === Infinity)
      throw new InvalidOptionError('retry.factor', r.factor, 'a finite number >= 1')
  }

  static from(r: RetryOptions | undefined): RetryPolicy {
    if (r === undefined) return RetryPolicy.none
    if (typeof r !== 'object' || r === null) throw new InvalidOptionError('retry', r, '{ attempts, backoffMs?, factor? }')
    return new RetryPolicy(r)
  }

  /** Milliseconds to wait after failed attempt n (1-based) before the next one. */
  delayAfter(n: number): number {
    return this.backoffMs * this.factor ** (n - 1)
  }
}
