#!/usr/bin/env node
// `npm run demo:nats`: the demo's task board synced across browsers through a local nats-server.
// Starts nats-server (WebSocket on 127.0.0.1:9222, JetStream in a temp dir, no users: a local
// demo only), builds the demo pointed at it and serves it, then prints what to open. Ctrl-C stops
// both; the server is stopped by its PID. Ports: NATS_WS_PORT (9222), NATS_PORT (4222).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BIN = process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server')
const wsPort = Number(process.env.NATS_WS_PORT ?? 9222)
const port = Number(process.env.NATS_PORT ?? 4222)
const dir = path.join(tmpdir(), 'tidings-demo-nats')
mkdirSync(dir, { recursive: true })
const conf = path.join(dir, 'nats.conf')
writeFileSync(conf, `listen: 127.0.0.1:${port}\nwebsocket { host: 127.0.0.1, port: ${wsPort}, no_tls: true }\njetstream { store_dir: "${path.join(dir, 'js')}" }\n`)

const server = spawn(BIN, ['-c', conf], { stdio: 'ignore' })
server.on('error', (e) => {
  console.error(`demo:nats: could not start ${BIN} (${e.message}). Install it: apt-get install nats-server (or see https://nats.io).`)
  process.exit(1)
})
let preview
const stop = () => {
  preview?.kill('SIGTERM')
  if (server.exitCode === null && server.pid) process.kill(server.pid, 'SIGTERM')
}
process.on('SIGINT', () => {
  stop()
  process.exit(0)
})
server.on('exit', (code) => {
  if (code) {
    console.error(`demo:nats: nats-server exited with code ${code} (ports ${port}/${wsPort} busy? set NATS_PORT / NATS_WS_PORT)`)
    preview?.kill('SIGTERM')
    process.exit(1)
  }
})

const ws = `ws://127.0.0.1:${wsPort}`
const env = { ...process.env, VITE_NATS_WS: ws }
const build = spawnSync('npm', ['run', 'build', '-w', '@tidings/demo'], { cwd: ROOT, env, stdio: 'inherit' })
if (build.status !== 0) {
  stop()
  process.exit(build.status ?? 1)
}
console.log(`
demo:nats: nats-server (pid ${server.pid}) on ${ws}, JetStream in ${path.join(dir, 'js')}
  Open http://127.0.0.1:5173/ in two browser profiles (or a normal and a private window): they are
  two devices. Add and edit tasks in one; the other follows through NATS, and tabs of one profile
  share one connection (the leader's). A profile opened later replays the board from JetStream.
  Ctrl-C stops the demo and the server.
`)
preview = spawn('npm', ['run', 'preview', '-w', '@tidings/demo'], { cwd: ROOT, env, stdio: 'inherit' })
preview.on('exit', (code) => {
  if (code) console.error('demo:nats: the preview server stopped (is port 5173 taken? stop the other demo server first)')
  stop()
  process.exit(code ?? 0)
})
