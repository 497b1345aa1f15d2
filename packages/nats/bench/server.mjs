// A throwaway nats-server for benchmarks: free loopback ports, WebSocket, no auth, no JetStream,
// stopped by PID. Used by `npm run bench` (bench/run.mjs) and by packages/nats/bench/run.mjs.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

const BIN = process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server')

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

/** Starts nats-server and waits for its health endpoint (up to ~5 s).
 *  @returns {Promise<{ url: string, stop: () => void }>} the ws:// URL and a stop function.
 *  Throws when the binary is missing (spawn error) or the server does not come up. */
export async function startBenchNatsServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidings-nats-bench-'))
  const [client, http, ws] = [await freePort(), await freePort(), await freePort()]
  const conf = path.join(dir, 'nats.conf')
  writeFileSync(conf, `listen: 127.0.0.1:${client}\nhttp: 127.0.0.1:${http}\nwebsocket { host: 127.0.0.1, port: ${ws}, no_tls: true }\n`)
  const server = spawn(BIN, ['-c', conf], { stdio: 'ignore' })
  let spawnError
  server.once('error', (e) => (spawnError = e))
  const stop = () => {
    if (server.exitCode === null && server.pid) process.kill(server.pid, 'SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
  for (let i = 0; ; i++) {
    if (spawnError) {
      stop()
      throw new Error(`nats-server could not start (${BIN}): ${spawnError.message}. Install it (apt-get install -y nats-server) or set NATS_SERVER.`)
    }
    try {
      if ((await fetch(`http://127.0.0.1:${http}/healthz`)).ok) break
    } catch {
      // not up yet
    }
    if (i > 200) {
      stop()
      throw new Error('nats-server did not start within 5 s')
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  return { url: `ws://127.0.0.1:${ws}`, stop }
}
