// Shared by the browser tests of this package (not exported from index.ts): a real nats-server
// per test file, started and stopped by PID through the Vitest browser commands that
// test-support/nats-server.ts defines and vite.config.ts registers.
import { wsconnect, type NatsConnection } from '@nats-io/nats-core'
import { jetstreamManager } from '@nats-io/jetstream'
import { createBus, type Bus } from '@tidings/core'
import { commands } from 'vitest/browser'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { connectNats } from './connect-nats.js'
import type { NatsBridge, NatsOptions } from './types.js'

export interface ServerInfo {
  id: string
  ws: string
  nats: string
  pid: number
}

declare module 'vitest/browser' {
  interface BrowserCommands {
    natsStart(): Promise<ServerInfo>
    natsStop(id: string): Promise<void>
    natsDown(id: string): Promise<void>
    natsUp(id: string): Promise<void>
  }
}

export const USERS = {
  admin: { user: 'admin', pass: 'admin-pass' },
  reader: { user: 'reader', pass: 'reader-pass' },
  device: { user: 'device', pass: 'device-pass' },
} as const

/** Starts one server for the file (beforeAll) and stops it by PID (afterAll). */
export function useNatsServer(): { readonly server: ServerInfo } {
  const box = {} as { server: ServerInfo }
  beforeAll(async () => {
    box.server = await commands.natsStart()
  })
  afterAll(async () => {
    if (box.server) await commands.natsStop(box.server.id)
  })
  return box
}

const open: { bus: Bus; bridge: NatsBridge }[] = []
const conns: NatsConnection[] = []

afterEach(async () => {
  for (const { bus, bridge } of open.splice(0)) {
    await bridge.close()
    await bus.shutdown({ drainTimeoutMs: 100 })
  }
  for (const nc of conns.splice(0)) await nc.close().catch(() => {})
})

let n = 0
/** A bus with a NATS bridge (a "device"); closed after each test. */
export function device(server: ServerInfo, opts: Partial<NatsOptions> = {}, name = `device-${++n}`): { bus: Bus; bridge: NatsBridge } {
  const bus = createBus({ name })
  const bridge = connectNats(bus, { servers: server.ws, leader: false, ...USERS.device, connection: { reconnectTimeWait: 50 }, ...opts })
  const d = { bus, bridge }
  open.push(d)
  return d
}

/** A raw nats-core connection (closed after each test). */
export async function rawConnection(server: ServerInfo, user: keyof typeof USERS = 'admin'): Promise<NatsConnection> {
  const nc = await wsconnect({ servers: server.ws, ...USERS[user] })
  conns.push(nc)
  return nc
}

/** Creates (or replaces) a stream as the admin user. */
export async function createStream(server: ServerInfo, name: string, subjects: string[]): Promise<void> {
  const nc = await rawConnection(server)
  const jsm = await jetstreamManager(nc)
  await jsm.streams.delete(name).catch(() => {})
  await jsm.streams.add({ name, subjects })
}

/** Polls until `check` returns true; fails with `what` after timeoutMs. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const start = performance.now()
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export function uniquePrefix(): string {
  return `tidings.t${Math.random().toString(36).slice(2, 8)}`
}
