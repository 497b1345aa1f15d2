// Test worker that speaks the bridge protocol badly on purpose.
const scope = globalThis as unknown as { postMessage(m: unknown, transfer: Transferable[]): void; addEventListener(t: string, f: (e: MessageEvent) => void): void }
const TAG = 'tidings/worker'
const base = { version: 1, timestamp: 1, data: { ok: true }, origin: 'worker-evil', seq: 0 }
scope.addEventListener('message', (e) => {
  const m = e.data as { tag?: string; kind?: string; origin?: string; ack?: boolean }
  if (m?.tag !== TAG || m.kind !== 'hello') return
  if (!m.ack) scope.postMessage({ tag: TAG, v: 1, kind: 'hello', origin: 'worker-evil', ack: true }, [])
  const pageOrigin = m.origin ?? ''
  scope.postMessage({ tag: TAG, v: 1, kind: 'events', events: [
    { ...base, id: 'e1', type: 't.good', seq: 1 },
    { ...base, id: 'e2', type: 't.bad topic', seq: 2 },          // invalid topic
    { ...base, id: 'e3', type: 't.x', seq: -1 },                  // bad seq
    { ...base, id: 'e4', type: 'other.topic', seq: 4 },           // outside share
    { ...base, id: 'e5', type: 't.echo', origin: pageOrigin, seq: 5 }, // claims the page's origin
    'not an envelope',
    { ...base, id: 'e6', type: 't.good', seq: 6, correlationId: 42 }, // bad correlationId
    { ...base, id: 'e7', type: 't.good', seq: 7 },
  ] }, [])
  scope.postMessage({ tag: TAG, v: 1, kind: 'events', events: 'nope' }, []) // malformed message
  scope.postMessage({ tag: TAG, v: 99, kind: 'events', events: [] }, []) // unknown version
  scope.postMessage({ unrelated: true }, []) // not ours: ignored, not counted
  scope.postMessage({ tag: TAG, v: 1, kind: 'events', events: [{ ...base, id: 'e8', type: 't.done', seq: 8 }] }, [])
})
