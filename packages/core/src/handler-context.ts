// The ctx handed to handlers. One small object per call; `publish` is built only when read, so
// handlers that never publish pay for no closure.
import type { TidingsEvent } from './envelope.js'
import type { BaseSubscription, BusInternals } from './subscription.js'
import type { HandlerContext, PublishOptions, PublishReceipt, Subscription } from './types.js'

export class HandlerCtx {
  // Public fields are `declare`d and set in the constructor (no field definitions to ship);
  // private ones are #fields, whose names minify.
  readonly #bus!: BusInternals
  readonly #sub!: BaseSubscription
  readonly #event!: TidingsEvent
  declare readonly attempt: number
  readonly #abortSignal!: AbortSignal | undefined
  constructor(
    bus: BusInternals,
    sub: BaseSubscription,
    event: TidingsEvent,
    attempt: number,
    abortSignal?: AbortSignal,
  ) {
    this.#bus = bus
    this.#sub = sub
    this.#event = event
    this.attempt = attempt
    this.#abortSignal = abortSignal
  }

  get signal(): AbortSignal {
    return this.#abortSignal ?? this.#sub.signal
  }

  get subscription(): Subscription {
    return this.#sub
  }

  get publish(): HandlerContext['publish'] {
    const bus = this.#bus
    const event = this.#event
    return ((typeOrInput: string | ({ type: string; data?: unknown } & PublishOptions), data?: unknown, opts?: PublishOptions): PublishReceipt =>
      typeof typeOrInput === 'string'
        ? bus.publishFrom(event, typeOrInput, data, opts)
        : bus.publishFrom(event, typeOrInput.type, typeOrInput.data, typeOrInput)) as HandlerContext['publish']
  }
}

/**
 * Whether a handler can read its second argument (ctx). A ctx is one allocation per delivery,
 * which halved exact-topic throughput for handlers declared as `() => ...`, so it is built only
 * for handlers that can see it: two or more declared parameters, or one whose source leaves any
 * doubt (`arguments`, rest or default parameters, comments in the parameter list, native or
 * bound code). Read once per subscription, never per event.
 */
export function readsCtx(handler: (...args: never[]) => unknown): boolean {
  if (handler.length >= 2) return true
  const src = Function.prototype.toString.call(handler)
  if (src.includes('[native code]') || src.includes('arguments') || src.includes('...')) return true
  // A bare single-parameter arrow: `e => ...` / `async e => ...`.
  if (/^(?:async\s+)?[\p{L}\p{N}_$]+\s*=>/u.test(src)) return false
  const open = src.indexOf('(')
  if (open === -1) return true
  let depth = 0
  for (let i = open; i < src.length; i++) {
    const c = src[i]
    if (c === '(') depth++
    else if (c === ')' && --depth === 0) {
      const params = src.slice(open + 1, i)
      // A default value hides a parameter from `length`; a comment could hide a ')'.
      return params.includes('=') || params.includes('/')
    }
  }
  return true
}
