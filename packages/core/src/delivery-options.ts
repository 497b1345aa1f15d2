// Checks and defaults for the delivery options (queue, concurrency, retry, timeoutMs), so a bad
// value fails at subscribe time with a message naming it, not later inside a publish.
import { InvalidOptionError } from './errors.js'

// Re-exported: the class lived here before it moved to errors.ts with every other error.
export { InvalidOptionError }
import { QUEUE_STRATEGIES, type QueueOptions, type QueueStrategy } from './types.js'


export type Strategy = QueueStrategy

/** The default queue (docs/delivery.md): 10 000 events, dropping the oldest when full. */
export const DEFAULT_QUEUE_MAX = 10_000
export const DEFAULT_STRATEGY: Strategy = 'drop-oldest'
export const DEFAULT_BLOCK_TIMEOUT_MS = 5000

export interface NormalQueue {
  max: number
  strategy: Strategy
  blockTimeoutMs: number
  /** order: 'priority' */
  priority: boolean
}

export function normalizeQueue(q: { [K in keyof QueueOptions]?: QueueOptions[K] | undefined } | undefined, where: string, allowed: readonly string[] = QUEUE_STRATEGIES): NormalQueue {
  const max = checkNumber(q?.max ?? DEFAULT_QUEUE_MAX, `${where}.max`, (n) => n === Infinity || (Number.isInteger(n) && n > 0), 'a positive integer (or Infinity)')
  const strategy = q?.strategy ?? DEFAULT_STRATEGY
  if (!allowed.includes(strategy)) throw new InvalidOptionError(`${where}.strategy`, strategy, `one of ${allowed.map((s) => `'${s}'`).join(', ')}`)
  const blockTimeoutMs = checkDuration(q?.blockTimeoutMs ?? DEFAULT_BLOCK_TIMEOUT_MS, `${where}.blockTimeoutMs`)
  const order = q?.order ?? 'fifo'
  if (order !== 'fifo' && order !== 'priority') throw new InvalidOptionError(`${where}.order`, order, "'fifo' or 'priority'")
  return { max, strategy, blockTimeoutMs, priority: order === 'priority' }
}

/** Every numeric option is checked here: returns `v` when it is a number `ok` accepts, otherwise
 *  throws InvalidOptionError naming the option, the value and what was expected. */
/** The one numeric option check of every package: `v` if it is a number `ok` accepts, else
 *  throws `fail(option, v, expected)` (an InvalidOptionError by default; packages pass their own
 *  subclass so the error's name says which package refused it). */
export function checkNumber(
  v: unknown,
  option: string,
  ok: (n: number) => boolean,
  expected: string,
  fail: (option: string, value: unknown, expected: string) => Error = (o, value, e) => new InvalidOptionError(o, value, e),
): number {
  if (typeof v !== 'number' || !ok(v)) throw fail(option, v, expected)
  return v
}

export const checkPositiveInt = (v: unknown, option: string): number =>
  checkNumber(v, option, (n) => Number.isInteger(n) && n >= 1, 'a positive integer')

export const checkDuration = (v: unknown, option: string): number =>
  checkNumber(v, option, (n) => n >= 0 && n < Infinity, 'a finite number of milliseconds >= 0')

export const checkTimeout = (v: unknown, option: string): number =>
  checkNumber(v, option, (n) => n > 0 && n < Infinity, 'a finite number of milliseconds > 0')
