// The ctx handed to handlers. One small object per call; `publish` is built only when read, so
// handlers that never publish pay for no closure.
import type { TidingsEvent } from './envelope.ts'
import type { BaseSubscription, BusInternals } from './subscription.ts'
import type { HandlerContext, PublishOptions, PublishReceipt, Subscription } from './types.ts'

export class HandlerCtx {
  constructor(
    private readonly bus: BusInternals,
    private readonly sub: BaseSubscription,
    private readonly event: TidingsEvent,
    readonly attempt: number,
    private readonly abortSignal?: AbortSignal,
  ) {}

  get signal(): AbortSignal {
    return this.abortSignal ?? this.sub.signal
  }

  get subscription(): Subscription {
    return this.sub
  }

  get publish(): HandlerContext['publish'] {
    const { bus, event } = this
    return ((typeOrInput: string | ({ type: string; data?: unknown } & PublishOptions), data?: unknown, opts?: PublishOptions): PublishReceipt =>
      typeof typeOrInput === 'string'
        ? bus.publishFrom(event, typeOrInput, data, opts)
        : bus.publishFrom(event, typeOrInput.type, typeOrInput.data, typeOrInput)) as HandlerContext['publish']
  }
}
