// NatsBridge.whenConnected(): the bridge's status as a promise, for an app that waits to be
// connected before it publishes (what is published once it resolves is received).
import type { BehaviorSubject } from 'rxjs'
import { NatsConnectionError } from './errors.js'
import type { NatsStatus } from './types.js'

/** Resolves once `state` is 'connected' (at once if it is); rejects once it is 'closed' or
 *  completes first, with `fatal()` (why the bridge gave up) or else a NatsConnectionError saying
 *  it was closed before it connected. */
export function whenConnected(state: BehaviorSubject<NatsStatus>, fatal: () => Error | undefined): Promise<void> {
  // The status replays at once: connected resolves, closed (or completed) rejects.
  return new Promise((resolve, reject) => {
    const sub = state.subscribe({
      next: (s) => {
        if (s === 'connected') resolve()
        else if (s === 'closed') reject(fatal() ?? closedBeforeConnect())
        else return
        queueMicrotask(() => sub.unsubscribe())
      },
      complete: () => reject(fatal() ?? closedBeforeConnect()),
    })
  })
}

function closedBeforeConnect(): Error {
  return new NatsConnectionError('connectNats()', 'the bridge was closed before it connected')
}
