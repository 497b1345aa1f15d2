#!/usr/bin/env node
// Runs the NATS browser benchmark against a real nats-server: starts one on free loopback ports
// (WebSocket, no auth, no JetStream), passes its ws:// URL to the benchmark page as VITE_NATS_WS,
// runs `node bench/run.mjs --browser-only --filter nats`, then stops the server by PID.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
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

const dir = mkdtempSync(path.join(tmpdir(), 'tidings-nats-bench-'))
const [client, http, ws] = [await freePort(), await freePort(), await freePort()]
const conf = path.join(dir, 'nats.conf')
writeFileSync(conf, `listen: 127.0.0.1:${client}\nhttp: 127.0.0.1:${http}\nwebsocket { host: 127.0.0.1, port: ${ws}, no_tls: true }\n`)
const server = spawn(BIN, ['-c', conf], { stdio: 'ignore' })
const stop = () => {
  if (server.exitCode === null && server.pid) process.kill(server.pid, 'SIGTERM')
  rmSync(dir, { recursive: true, force: true })
}
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${http}/healthz`)).ok) break
    } catch {
      // not up yet
    }
    if (i > 200) throw new Error('nats-server did not start')
    await new Promise((r) => setTimeout(r, 25))
  }
  const args = process.argv.slice(2)
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/run.mjs', '--browser-only', '--filter', 'nats', ...args], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, VITE_NATS_WS: `ws://127.0.0.1:${ws}` },
    })
    child.on('exit', (c) => resolve(c ?? 1))
  })
  process.exitCode = code
} finally {
  stop()
}
