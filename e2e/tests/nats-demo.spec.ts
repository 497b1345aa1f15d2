// The demo's task board across two browsers (two contexts) through a real nats-server, as
// `npm run demo:nats` runs it: the demo is built with VITE_NATS_WS into a temp dir and served by
// `vite preview` on a free port; the server (no users, JetStream) is stopped by PID afterwards.
import { expect, test } from '@playwright/test'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { NATS_SERVER_BIN } from '../../test-support/nats-server.ts'

test.describe.configure({ timeout: 120_000 })

const DEMO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../demo')
// Vite's own entry, run by this Node: killing the child stops the server (no npx in between).
const VITE = path.resolve(DEMO, '../node_modules/vite/bin/vite.js')

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

async function until(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} did not come up`)
}

test('two browsers share the task board through NATS; a browser opened later replays it', async ({ browser }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidings-demo-nats-e2e-'))
  const [natsPort, wsPort, httpPort, webPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const conf = path.join(dir, 'nats.conf')
  writeFileSync(conf, `listen: 127.0.0.1:${natsPort}\nhttp: 127.0.0.1:${httpPort}\nwebsocket { host: 127.0.0.1, port: ${wsPort}, no_tls: true }\njetstream { store_dir: "${path.join(dir, 'js')}" }\n`)
  const server = spawn(NATS_SERVER_BIN, ['-c', conf], { stdio: 'ignore' })
  let preview: ChildProcess | undefined
  try {
    await until(`http://127.0.0.1:${httpPort}/healthz`)
    const out = path.join(dir, 'dist')
    const build = spawnSync(process.execPath, [VITE, 'build', '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], { cwd: DEMO, env: { ...process.env, VITE_NATS_WS: `ws://127.0.0.1:${wsPort}` }, encoding: 'utf8' })
    expect(build.status, build.stderr).toBe(0)
    preview = spawn(process.execPath, [VITE, 'preview', '--outDir', out, '--port', String(webPort), '--strictPort', '--host', '127.0.0.1'], { cwd: DEMO, stdio: 'ignore' })
    const url = `http://127.0.0.1:${webPort}/`
    await until(url)

    const open = async () => {
      const page = await (await browser.newContext()).newPage()
      await page.goto(url)
      await expect.poll(() => page.evaluate(() => document.body.dataset['nats']), { timeout: 30_000 }).toBe('connected')
      return page
    }
    const laptop = await open()
    const phone = await open()
    await laptop.getByTestId('task-input').fill('buy milk')
    await laptop.getByTestId('task-add').click()
    await expect(phone.getByTestId('task-title')).toHaveText(['buy milk'], { timeout: 15_000 })
    await phone.getByTestId('task-toggle').click()
    await expect(laptop.getByTestId('task')).toHaveAttribute('data-done', 'true', { timeout: 15_000 })

    const later = await open()
    await expect(later.getByTestId('task-title')).toHaveText(['buy milk'], { timeout: 15_000 })
    await expect(later.getByTestId('task')).toHaveAttribute('data-done', 'true')
  } finally {
    preview?.kill('SIGTERM')
    if (server.pid && server.exitCode === null) process.kill(server.pid, 'SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
})
