// Benchmark worker for payload sizes: counts Tidings events (p.ev) and plain postMessage messages
// ({ plain: true }) separately, touching each payload so it is really deserialized, and answers
// when asked how many arrived and whether in order.
import { workerBus } from '../src/index.ts'

// Where the worker's time goes, per 'message' listener: the first read of event.data in a message
// deserializes it (readMs, whichever listener reads first); the rest of each listener is its own
// work (ownMs[k], k in the order they were added: 0 the bridge's, added by workerBus, 1 the plain
// counter below). performance.now() is coarsened to 100 µs (with jitter) here: summed over
// thousands of messages the error averages out.
const timing = { readMs: 0, ownMs: [0, 0] }
const add = self.addEventListener.bind(self) as (type: string, fn: (e: MessageEvent) => void) => void
let listeners = 0
;(self as unknown as { addEventListener: (type: string, fn: unknown) => void }).addEventListener = (type, fn) => {
  if (type !== 'message' || typeof fn !== 'function') return add(type, fn as (e: MessageEvent) => void)
  const k = listeners++
  add(type, (e: MessageEvent) => {
    const t0 = performance.now()
    void e.data
    const t1 = performance.now()
    timing.readMs += t1 - t0
    try {
      ;(fn as (e: MessageEvent) => void)(e)
    } finally {
      timing.ownMs[k] = (timing.ownMs[k] ?? 0) + performance.now() - t1
    }
  })
}

const bus = workerBus({ share: ['p.**'] })
let count = 0
let last = -1
let ordered = true
let touched = 0
const seen = (i: number, data: unknown) => {
  if (i !== last + 1) ordered = false
  last = i
  count++
  if (typeof data === 'string') touched += data.length
  else if (data !== null && typeof data === 'object') touched += Object.keys(data).length
}
const reset = () => {
  const r = { count, ordered, touched, readMs: timing.readMs, bridgeMs: timing.ownMs[0] ?? 0, plainMs: timing.ownMs[1] ?? 0 }
  timing.readMs = 0
  timing.ownMs = [0, 0]
  count = 0
  last = -1
  ordered = true
  touched = 0
  return r
}
bus.subscribe('p.ev', (e) => {
  const d = e.data as { i: number; body: unknown }
  seen(d.i, d.body)
})
bus.subscribe('p.done', () => void bus.publish('p.count', reset()))
const scope = self as unknown as { postMessage(m: unknown, transfer: Transferable[]): void }
self.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as { plain?: boolean; plainDone?: boolean; i: number; body: unknown }
  if (m?.plain === true) seen(m.i, m.body)
  else if (m?.plainDone === true) scope.postMessage({ plainCount: reset() }, [])
})
