// Benchmark sender: a bus with connectTabs in a worker, so the page that measures receiving pays
// nothing for sending. On { channel, n, size } it publishes n events of type r.x and answers
// 'sent'. With `columnsOnly`, it posts instead what connectTabs would post for those events, in
// batches of 5,000, but without the payload column `d`, on a plain BroadcastChannel of that name:
// the floor a receiver would pay if it could decide before the payloads are deserialized.
import { createBus, type TidingsEvent } from '@tidings/core'
import { encodeBatch, type EventBatch } from '@tidings/core/bridge'
import { connectTabs } from '@tidings/tabs'

const BATCH = 5000
const bus = createBus({ name: 'sender' })
let bridge: ReturnType<typeof connectTabs> | undefined
const scope = self as unknown as { postMessage(m: unknown, transfer: Transferable[]): void }

function columnsOnly(channel: string, n: number, size: number): void {
  const bc = new BroadcastChannel(`tidings.tabs:${channel}`)
  const pad = 'x'.repeat(size)
  for (let from = 0; from < n; from += BATCH) {
    const items = Array.from({ length: Math.min(BATCH, n - from) }, (_, k) => {
      const seq = from + k
      const event: TidingsEvent = { id: `sender:${seq}`, type: 'r.x', timestamp: Date.now(), version: 1, data: { i: seq, pad }, origin: 'sender', seq }
      return { event, incarnation: 'i1', prev: seq - 1 }
    })
    const batch: Partial<EventBatch> = encodeBatch(items)
    delete batch.d
    // oxlint-disable-next-line unicorn/require-post-message-target-origin
    bc.postMessage({ tag: 'tidings.tabs', v: 1, kind: 'batch', from: 'sender', batch })
  }
  bc.close()
}

self.addEventListener('message', async (e: MessageEvent) => {
  const { channel, n, size, stripped } = e.data as { channel: string; n: number; size: number; stripped?: boolean }
  if (stripped === true) {
    columnsOnly(channel, n, size)
    scope.postMessage('sent', [])
    return
  }
  if (bridge === undefined || bridge.channel !== channel) {
    await bridge?.close()
    bridge = connectTabs(bus, { channel, share: 'r.**' })
    await bridge.ready
  }
  const pad = 'x'.repeat(size)
  for (let i = 0; i < n; i++) bus.publish('r.x', { i, pad })
  await bridge.flush()
  scope.postMessage('sent', [])
})
