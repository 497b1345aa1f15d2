// Benchmark worker for payload sizes: counts Tidings events (p.ev) and plain postMessage messages
// ({ plain: true }) separately, touching each payload so it is really deserialized, and answers
// when asked how many arrived and whether in order.
import { workerBus } from '../src/index.ts'

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
  const r = { count, ordered, touched }
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
