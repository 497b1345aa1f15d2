// connectDevtools' options: their documentation, defaults and checks in one place.
import { checkNumber } from '@tidings/core/bridge'
import type { TidingsEvent } from '@tidings/core'
import { DevtoolsOptionsError } from './errors.js'
import { type Redactor, compileRedactor } from './sanitize.js'

export interface DevtoolsOptions {
  /** Shown in the panel. Default: the bus name. */
  name?: string
  /** Data/metadata fields that never leave the page: `'password'` (that key at any depth),
   *  `'card.number'` (a path from the root; `*` matches any key), or a function returning the
   *  data to show instead (its result is sanitized too). */
  redact?: readonly string[] | ((event: TidingsEvent) => unknown)
  /** Publishes streamed per second; above it the agent samples and reports how many it skipped.
   *  Default 2000. */
  maxEventsPerSecond?: number
  /** How often batches are posted, ms. Default 100. */
  batchMs?: number
  /** How often a subscriptions snapshot is posted, ms. Default 1000. */
  snapshotMs?: number
  /** Most events kept (unredacted, in the page only) so the panel can replay them. Default 500;
   *  0 disables replay from the page's copy. */
  replayBuffer?: number
  /** Most bytes those events may hold, by the sanitizer's estimate of their data and metadata
   *  (oldest evicted first; an event larger than this, or of unknown size, is not kept).
   *  Default 4 MiB; 0 disables. */
  replayBufferBytes?: number
  /** Most characters (≈ bytes) of JSON the agent keeps while the extension is installed and the
   *  panel is closed, so the panel shows what happened before it opened (oldest dropped first).
   *  Default 2 MiB; 0 opts out (nothing is recorded until the panel opens). */
  recordBytes?: number
  /** Capture each kept publish's call stack (the panel shows it and opens frames in Sources).
   *  Costs a stack capture per kept event (docs/devtools.md). Default false. */
  trace?: boolean
  /** Per-handler timing: a `deliver` item for every delivery (which subscription got the event,
   *  how long its handler took). Costs core a clock read around every handler and an inspection
   *  per delivery, roughly 10x a bare publish (docs/devtools.md "What a session costs"); without
   *  it the panel shows each event's receipt (matched, delivered, queued, dropped, rejected),
   *  its errors, drops and refusals. The panel can switch it on and off for its session.
   *  Default false. */
  timing?: boolean
  /** Window to talk over. Default: globalThis (the page). */
  target?: DevtoolsTarget
}

/** The part of Window the agent uses. */
export interface DevtoolsTarget {
  postMessage(message: unknown, targetOrigin: string): void
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void
  removeEventListener(type: 'message', listener: (e: MessageEvent) => void): void
}

export interface ParsedOptions {
  name: string
  maxEventsPerSecond: number
  batchMs: number
  snapshotMs: number
  replayBuffer: number
  replayBufferBytes: number
  recordBytes: number
  trace: boolean
  timing: boolean
  redactor: Redactor | undefined
  redactFn: ((e: TidingsEvent) => unknown) | undefined
  /** undefined outside a window (a worker, SSR): nothing to talk to. */
  target: DevtoolsTarget | undefined
}

export const DEFAULT_REPLAY_BYTES = 4 * 1024 * 1024

/** The numeric options: name, default, whether 0 is allowed (it turns that part off). */
const COUNTS: readonly [NumericOption, number, boolean?][] = [
  ['maxEventsPerSecond', 2000],
  ['batchMs', 100],
  ['snapshotMs', 1000],
  ['replayBuffer', 500, true],
  ['replayBufferBytes', DEFAULT_REPLAY_BYTES, true],
  ['recordBytes', 2 ** 21, true],
]
type NumericOption = 'maxEventsPerSecond' | 'batchMs' | 'snapshotMs' | 'replayBuffer' | 'replayBufferBytes' | 'recordBytes'

/** Checks every option; throws DevtoolsOptionsError naming the first bad one. */
export function parseOptions(options: DevtoolsOptions, busName: string): ParsedOptions {
  const name = options.name ?? busName
  if (typeof name !== 'string' || name.length === 0) throw new DevtoolsOptionsError('name', name, 'must be a non-empty string')
  const out = { name } as ParsedOptions
  // (a table rather than six calls: the agent's bundle has a size budget)
  for (const [k, dflt, allowZero] of COUNTS) out[k] = count(k, options[k], dflt, allowZero)
  for (const k of ['trace', 'timing'] as const) out[k] = flag(k, options[k])
  const redact = options.redact
  if (typeof redact === 'function') out.redactFn = redact
  else if (redact !== undefined) {
    if (!Array.isArray(redact) || !redact.every((r) => typeof r === 'string' && r.length > 0))
      throw new DevtoolsOptionsError('redact', redact, 'must be an array of field paths or a function')
    out.redactor = compileRedactor(redact)
  }
  const target = options.target ?? (globalThis as unknown as DevtoolsTarget)
  // Outside a window the bridges carry worker events to the page's agent instead.
  if (typeof target?.postMessage === 'function' && typeof target.addEventListener === 'function') out.target = target
  return out
}

const devtoolsOptionError = (option: string, value: unknown, rule: string) => new DevtoolsOptionsError(option, value, rule)

/** An on/off option: undefined means off; anything but a boolean is a mistake (a plain-JS app
 *  passing 'yes' would otherwise get "off" without a word). */
function flag(option: string, v: boolean | undefined): boolean {
  if (v === undefined || typeof v === 'boolean') return v === true
  throw new DevtoolsOptionsError(option, v, 'must be a boolean')
}

function count(option: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt
  const min = allowZero ? 0 : 1
  return checkNumber(v, option, (n) => Number.isSafeInteger(n) && n >= min, allowZero ? 'must be a non-negative integer' : 'must be a positive integer', devtoolsOptionError)
}
