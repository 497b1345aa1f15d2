// A real nats-server for tests and benchmarks (Node side). Each call starts its own server on
// free loopback ports with a generated config: WebSocket without TLS, JetStream in a temp dir,
// and three users with different permissions. Stopped by PID; restart() keeps ports and store,
// so JetStream data survives it as it would a real server restart.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const NATS_SERVER_BIN = process.env['NATS_SERVER'] ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server')

/** The users every test server has: `admin` may do anything; `reader` may subscribe to
 *  everything and use JetStream and inboxes, but publish nothing under `tidings.`; `device` may
 *  publish and subscribe under `tidings.` plus what JetStream and request/reply need. */
export const NATS_USERS = {
  admin: { user: 'admin', pass: 'admin-pass' },
  reader: { user: 'reader', pass: 'reader-pass' },
  device: { user: 'device', pass: 'device-pass' },
} as const

export interface NatsServerInfo {
  id: string
  /** ws://127.0.0.1:<port> */
  ws: string
  /** nats://127.0.0.1:<port> */
  nats: string
  pid: number
}

export interface NatsServerHandle extends NatsServerInfo {
  /** Stops the server for good and removes its files. */
  stop(): Promise<void>
  /** Stops the process (SIGTERM, by PID); up() starts it again on the same ports and store. */
  down(): Promise<void>
  up(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function config(ports: { client: number; http: number; ws: number }, store: string): string {
  const { admin, reader, device } = NATS_USERS
  const js = '"$JS.API.>", "_INBOX.>", "$JS.ACK.>"'
  return `listen: 127.0.0.1:${ports.client}
http: 127.0.0.1:${ports.http}
websocket { host: 127.0.0.1, port: ${ports.ws}, no_tls: true }
jetstream { store_dir: "${store}" }
authorization {
  users: [
    { user: ${admin.user}, password: ${admin.pass} }
    { user: ${reader.user}, password: ${reader.pass}, permissions: { publish: { allow: [${js}] }, subscribe: { allow: [">"] } } }
    { user: ${device.user}, password: ${device.pass}, permissions: { publish: { allow: ["tidings.>", ${js}] }, subscribe: { allow: ["tidings.>", "_INBOX.>"] } } }
  ]
}
`
}

async function waitHealthy(httpPort: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}`)
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error('nats-server did not become healthy within 10 s')
}

let counter = 0

export async function startNatsServer(): Promise<NatsServerHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'tidings-nats-'))
  const ports = { client: await freePort(), http: await freePort(), ws: await freePort() }
  const conf = join(dir, 'nats.conf')
  writeFileSync(conf, config(ports, join(dir, 'js')))
  let child: ChildProcess | undefined
  const launch = async () => {
    const c = spawn(NATS_SERVER_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
    c.stderr?.resume()
    child = c
    const failed = new Promise<never>((_, reject) =>
      c.once('error', (e) => reject(new Error(`could not start ${NATS_SERVER_BIN} (${e.message}): install it with apt-get install nats-server, or set NATS_SERVER to its path`))),
    )
    failed.catch(() => {}) // an error after the server is up is not this call's to report
    await Promise.race([waitHealthy(ports.http, c), failed])
  }
  const kill = async () => {
    const c = child
    child = undefined
    if (!c || c.exitCode !== null || c.pid === undefined) return
    const exited = new Promise<void>((r) => c.once('exit', () => r()))
    process.kill(c.pid, 'SIGTERM')
    await exited
  }
  await launch()
  const handle: NatsServerHandle = {
    id: `nats-${process.pid}-${++counter}`,
    ws: `ws://127.0.0.1:${ports.ws}`,
    nats: `nats://127.0.0.1:${ports.client}`,
    get pid() {
      return child?.pid ?? -1
    },
    async stop() {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
    down: kill,
    async up() {
      if (child === undefined) await launch()
    },
  }
  return handle
}

// ------------------------------------------------ Vitest browser commands (run in Node)

const running = new Map<string, NatsServerHandle>()
let exitHook = false

/** The commands the browser project registers: tests call them through `commands` of vitest/browser. */
export const natsCommands = {
  async natsStart(): Promise<NatsServerInfo> {
    const h = await startNatsServer()
    running.set(h.id, h)
    if (!exitHook) {
      exitHook = true
      process.once('exit', () => {
        for (const s of running.values()) if (s.pid > 0) process.kill(s.pid, 'SIGTERM')
      })
    }
    return { id: h.id, ws: h.ws, nats: h.nats, pid: h.pid }
  },
  async natsStop(_ctx: unknown, id: string): Promise<void> {
    const h = running.get(id)
    running.delete(id)
    await h?.stop()
  },
  async natsDown(_ctx: unknown, id: string): Promise<void> {
    await running.get(id)?.down()
  },
  async natsUp(_ctx: unknown, id: string): Promise<void> {
    await running.get(id)?.up()
  },
}
