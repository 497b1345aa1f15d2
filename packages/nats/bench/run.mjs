#!/usr/bin/env node
// Runs only the NATS browser benchmark against a real nats-server: starts one on free loopback
// ports (server.mjs), passes its ws:// URL to the benchmark page as VITE_NATS_WS, runs
// `node bench/run.mjs --browser-only --filter nats`, then stops the server by PID.
// (`npm run bench` starts one the same way for the whole run.)
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBenchNatsServer } from './server.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const server = await startBenchNatsServer()
try {
  const args = process.argv.slice(2)
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/run.mjs', '--browser-only', '--filter', 'nats', ...args], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, VITE_NATS_WS: server.url },
    })
    child.on('exit', (c) => resolve(c ?? 1))
  })
  process.exitCode = code
} finally {
  server.stop()
}
