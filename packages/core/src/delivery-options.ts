// Checks and defaults for the delivery options (queue, concurrency, retry, timeoutMs), so a bad
// value fails at subscribe time with a message naming it, not later inside a publish.
import { TidingsError } from './errors.js'
import { QUEUE_STRATEGIES, type QueueOptions, type QueueStrategy } from './types.js'

/** An option passed to subscribe/inbox/dispatch/request/schedule/processBounded is invalid. */
export class InvalidOptionError extends TidingsError {
  override name = 'InvalidOptionError'
  // `declare`d: set in the constructor (see TidingsBus).
  declare readonly option: string
  declare readonly value: unknown
  constructor(
    option: string,
    value: unknown,
    expected: string,
  ) {
    super(`Invalid option ${option}: ${safeString(value)}. Expected ${expected}.`)
    this.option = option
    this.value = value
  }
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : String(v)
  } catch {
    return typeof v
  }
}

export type Strategy = QueueStrategy

/** The default queue (docs/delivery.md): 10 000 events, dropping the oldest when full. */
export const DEFAULT_QUEUE_MAX = 10_000
export const DEFAULT_STRATEGY: Strategy = 'drop-oldest'
export const DEFAULT_BLOCK_TIMEOUT_MS = 5000

export interface NormalQueue {
  max: number
  strategy: Strategy
  blockTimeoutMs: number
}

export function normalizeQueue(q: { [K in keyof QueueOptions]?: QueueOptions[K] | undefined } | undefined, where: string, allowed: readonly string[] = QUEUE_STRATEGIES): NormalQueue {
  const max = checkNumber(q?.max ?? DEFAULT_QUEUE_MAX, `${where}.max`, (n) => n === Infinity || (Number.isInteger(n) && n > 0), 'a positive integer (or Infinity)')
  const strategy = q?.strategy ?? DEFAULT_STRATEGY
  if (!allowed.includes(strategy)) throw new InvalidOptionError(`${where}.strategy`, strategy, `one of ${allowed.map((s) => `'${s}'`).join(', ')}`)
  const blockTimeoutMs = checkDuration(q?.blockTimeoutMs ?? DEFAULT_BLOCK_TIMEOUT_MS, `${where}.blockTimeoutMs`)
  return { max, strategy, blockTimeoutMs }
}

/** Every numeric option is checked here: returns `v` when it is a number `ok` accepts, otherwise
 *  throws InvalidOptionError naming the option, the value and what was expected. */
export function checkNumber(v: unknown, option: string, ok: (n: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new InvalidOptionError(option, v, expected)
  return v
}

export const checkPositiveInt = (v: unknown, option: string): number =>
  checkNumber(v, option, (n) => Number.isInteger(n) && n >= 1, 'a positive integer')

export const checkDuration = (v: unknown, option: string): number =>
  checkNumber(v, option, (n) => n >= 0 && n < Infinity, 'a finite number of milliseconds >= 0')

export const checkTimeout = (v: unknown, option: string): number =>
  checkNumber(v, option, (n) => n > 0 && n < Infinity, 'a finite number of milliseconds > 0')
