// Test worker that speaks the bridge protocol badly on purpose.
import { encodeBatch } from '@tidings/core/bridge'

const scope = globalThis as unknown as {
  postMessage(m: unknown, transfer: Transferable[]): void
  addEventListener(t: string, f: (e: MessageEvent) => void): void
}
const TAG = 'tidings.worker'

type Row = Record<string, unknown>
const base: Row = { timestamp: 1, data: { ok: true }, origin: 'worker-evil', seq: 0, version: 1 }
/** The bridge's batch format, built by the real codec from rows that may be wrong on purpose. */
function batch(rows: Row[]) {
  return encodeBatch(rows.map((r, i) => ({ event: r as never, incarnation: 'evil-1', prev: i - 1 })))
}
const post = (m: unknown) => scope.postMessage(m, [])

scope.addEventListener('message', (e) => {
  const m = e.data as { tag?: string; kind?: string; origin?: string; ack?: boolean }
  if (m?.tag !== TAG || m.kind !== 'hello') return
  if (!m.ack) post({ tag: TAG, v: 1, kind: 'hello', origin: 'worker-evil', incarnation: 'evil-1', nonce: 'evil-nonce', ack: true })
  const pageOrigin = m.origin ?? ''
  post({ tag: TAG, v: 1, kind: 'events', batch: batch([
    { ...base, id: 'e1', type: 't.good', seq: 1 },
    { ...base, id: 'e2', type: 't.bad topic', seq: 2 }, // invalid topic
    { ...base, id: 'e3', type: 't.x', seq: -1 }, // bad seq
    { ...base, id: 'e4', type: 'other.topic', seq: 4 }, // outside share
    { ...base, id: 'e5', type: 't.echo', origin: pageOrigin, seq: 5 }, // claims the page's origin
    { ...base, id: 55, type: 't.good', seq: 55 }, // id not a string
    { ...base, id: 'e6', type: 't.good', seq: 6, correlationId: 42 }, // bad correlationId
    { ...base, id: 'e7', type: 't.good', seq: 7 },
  ]) })
  post({ tag: TAG, v: 1, kind: 'events', batch: 'nope' }) // malformed batch
  post({ tag: TAG, v: 1, kind: 'events', batch: { ...batch([{ ...base, id: 'e9', type: 't.good', seq: 9 }]), s: [] } }) // ragged columns
  post({ tag: TAG, v: 1, kind: 'events', batch: { ...batch([{ ...base, id: 'e10', type: 't.good', seq: 10 }]), tx: [7] } }) // type index out of the table
  post({ tag: TAG, v: 99, kind: 'events', batch: batch([{ ...base, id: 'e11', type: 't.good', seq: 11 }]) }) // unknown version
  post({ unrelated: true }) // not ours: ignored, not counted
  post({ tag: TAG, v: 1, kind: 'events', batch: batch([{ ...base, id: 'e8', type: 't.done', seq: 8 }]) })
})
