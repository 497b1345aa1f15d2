// Helpers for the agent's browser tests: a simulated content script over real window.postMessage.
import { createBus, type Bus } from '@tidings/core'
import { connectDevtools, type DevtoolsConnection } from './index.js'
import { type BatchMsg, type FromAgentMsg, type WireItem, msg, parseBatchItems, parseFromAgent, readMessage } from './protocol.js'

export const cleanups: (() => void)[] = []
/** Call from afterEach: undoes every setup() and sink(). */
export function cleanup(): void {
  while (cleanups.length) cleanups.pop()!()
}

/** Collects what the agent posts (validated with the protocol's own parser). */
export function sink() {
  const got: FromAgentMsg[] = []
  const invalid: unknown[] = []
  const on = (e: MessageEvent) => {
    const t = readMessage(e.data)
    if (t.status !== 'ok') return
    if (t.kind === 'hello' || t.kind === 'ping' || t.kind === 'bye' || t.kind === 'command') return
    const m = parseFromAgent(e.data)
    if (m) got.push(m)
    else invalid.push(e.data)
  }
  window.addEventListener('message', on)
  cleanups.push(() => window.removeEventListener('message', on))
  return {
    got,
    invalid,
    items: (): WireItem[] =>
      got
        .filter((m): m is BatchMsg => m.kind === 'batch')
        .flatMap((m) => {
          const items = parseBatchItems(m.items)
          if (!items) throw new Error(`invalid batch items: ${m.items.slice(0, 200)}`)
          return items
        }),
    skipped: () => got.filter((m): m is BatchMsg => m.kind === 'batch').reduce((n, m) => n + m.skipped, 0),
    of: <T extends FromAgentMsg['kind']>(t: T) => got.filter((m) => m.kind === t) as Extract<FromAgentMsg, { kind: T }>[],
  }
}

export const post = (m: unknown) => window.postMessage(m, '*')
export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms))
export async function until(pred: () => boolean, what: string, ms = 5000) {
  const end = Date.now() + ms
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await tick(10)
  }
}

export function setup(opts: Parameters<typeof connectDevtools>[1] = {}): { bus: Bus; agent: DevtoolsConnection; s: ReturnType<typeof sink> } {
  const s = sink()
  const bus = createBus({ name: 'test-bus' })
  // 100 ms: a 10 ms read budget per batch, so a loaded machine still reads every event (tests of
  // the budget itself pass a smaller batchMs)
  const agent = connectDevtools(bus, { batchMs: 100, ...opts })
  cleanups.push(() => agent.disconnect())
  return { bus, agent, s }
}

/** setup() plus a hello, resolved once the agent is ready. */
export async function session(opts: Parameters<typeof connectDevtools>[1] = {}, nonce = 'n'): Promise<ReturnType<typeof setup>> {
  const x = setup(opts)
  post(msg({ kind: 'hello', nonce, leaseMs: 60_000 }))
  await until(() => x.s.of('ready').length === 1, 'ready')
  return x
}

/** The publish items streamed so far. */
export const publishes = (s: ReturnType<typeof sink>) => s.items().filter((i) => i.kind === 'publish')
