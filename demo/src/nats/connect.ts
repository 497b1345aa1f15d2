// Across devices, when the demo is built with a NATS server (`npm run demo:nats` sets
// VITE_NATS_WS): the task activity events travel through it, and the leader tab of each browser
// applies other devices' events to the shared board. JetStream keeps them, so a browser that opens
// the board later replays the whole history and ends up with the same tasks. Without the variable
// nothing here loads (the NATS modules are imported on demand).
import type { NatsBridge } from '@tidings/nats'
import { bus } from '../bus.ts'
import type { Task } from '../events.ts'
import { tasks } from '../tasks/store.ts'

const servers = import.meta.env['VITE_NATS_WS'] as string | undefined
const STREAM = 'TIDINGS_DEMO'
const SUBJECT = 'tidings-demo'

/** The demo's local server has no users, so the page creates the stream itself. In production an
 *  admin creates it once (docs/nats.md) and browser users get no stream-creation permission. */
async function ensureStream(url: string): Promise<void> {
  try {
    const [{ wsconnect }, { jetstreamManager }] = await Promise.all([import('@nats-io/nats-core'), import('@nats-io/jetstream')])
    const nc = await wsconnect({ servers: url, timeout: 3000 })
    const jsm = await jetstreamManager(nc)
    await jsm.streams.info(STREAM).catch(() => jsm.streams.add({ name: STREAM, subjects: [`${SUBJECT}.>`] }))
    await nc.close()
  } catch (err) {
    console.warn(`[demo] could not reach the NATS server at ${url}: ${String(err)}; the board syncs once it is up`)
  }
}

/** Applies another device's task event to the board, idempotently; the newest edit wins. */
function apply(type: string, data: unknown): void {
  if (type === 'task.created' || type === 'task.updated') {
    const incoming = (data as { task: Task }).task
    tasks.set((list) => {
      const at = list.findIndex((t) => t.id === incoming.id)
      if (at < 0) return type === 'task.created' ? [...list, incoming] : list
      if (list[at]!.updatedAt > incoming.updatedAt) return list
      return list.map((t, i) => (i === at ? incoming : t))
    })
  } else if (type === 'task.deleted') {
    const id = (data as { id: string }).id
    tasks.set((list) => (list.some((t) => t.id === id) ? list.filter((t) => t.id !== id) : list))
  }
}

async function connect(url: string): Promise<NatsBridge> {
  await ensureStream(url)
  const { connectNats } = await import('@tidings/nats')
  // Events from NATS arrive in the leader tab only (the other tabs get the board through the
  // shared state): apply them there.
  bus.on('task.**').subscribe((e) => {
    if (bus.bridgedBy(e) === 'nats') apply(e.type, e.data)
  })
  return connectNats(bus, { servers: url, share: 'task.**', subject: SUBJECT, jetstream: { stream: STREAM, replay: 'all' } })
}

export const nats: NatsBridge | undefined = servers ? await connect(servers) : undefined
