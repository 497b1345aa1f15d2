// Benchmark sender: a bus with connectTabs in a worker, so the page that measures receiving pays
// nothing for sending. On { channel, n } it publishes n events of type r.x and answers 'sent'.
import { createBus } from '@tidings/core'
import { connectTabs } from '@tidings/tabs'

const bus = createBus({ name: 'sender' })
let bridge: ReturnType<typeof connectTabs> | undefined
const scope = self as unknown as { postMessage(m: unknown, transfer: Transferable[]): void }
self.addEventListener('message', async (e: MessageEvent) => {
  const { channel, n, size } = e.data as { channel: string; n: number; size: number }
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
