// The consumer app built from the packed tarballs (scripts/consumer-test.mjs builds it; it runs
// just before the e2e tests in `npm test`), driven in real Chromium with the DevTools extension
// loaded: publish, globs, a queue, React hooks, two tabs sharing state, a worker pool job,
// history, devtools.
import { type Page, expect, test } from '@playwright/test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { PreviewServer } from 'vite'
import { CONSUMER_APP } from '../consumer/paths.mjs'
import { type ExtensionBrowser, launchWithExtension, openPanel, tabIdOf } from '../extension.ts'

let ext: ExtensionBrowser
let server: PreviewServer
let url: string
const problems: string[] = []

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  test.setTimeout(240_000)
  if (!existsSync(join(CONSUMER_APP, 'dist', 'index.html')))
    throw new Error(`No built consumer app in ${CONSUMER_APP}: run \`npm run test:consumer\` first (npm test does).`)
  const { preview } = await import('vite')
  server = await preview({ root: CONSUMER_APP, configFile: false, logLevel: 'error', preview: { host: '127.0.0.1', port: 0, strictPort: false } })
  const address = server.httpServer.address()
  if (!address || typeof address === 'string') throw new Error('preview server has no port')
  url = `http://127.0.0.1:${address.port}/`
  ext = await launchWithExtension({ name: 'consumer' })
})

test.afterAll(async () => {
  await ext?.close()
  await server?.close()
})

async function openApp(): Promise<Page> {
  const page = await ext.context.newPage()
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`)
  })
  await page.goto(url)
  await page.waitForFunction(() => document.body.dataset['ready'] === 'true')
  return page
}

test('publish, exact and glob and brace subscriptions, a queue, and the app\'s own rxjs', async () => {
  const page = await openApp()
  const r = await page.evaluate(() => window.consumer.basics())
  expect(r.seen).toEqual([
    'exact:order.created:1',
    'glob:order.created',
    'all:order.created',
    'brace:order.created',
    'glob:order.paid',
    'all:order.paid',
    'glob:order.paid',
    'all:order.paid',
    'glob:order.paid',
    'all:order.paid',
  ])
  expect(r.receipt).toEqual({ matched: 4, delivered: 4 })
  // All three are queued in one task; the queue holds 2 and drops the oldest.
  expect(r.queued).toEqual([20, 30])
  expect(r.totals).toEqual([10, 20, 30])
  expect(r.sameRxjs).toBe(true)
  expect(r.stats).toBe(4)
  // The React component on the page saw the three payments through useEvent and useLatest.
  await expect(page.locator('#react-counter')).toHaveText('paid 3, last total 30')
  await page.close()
})

test('two tabs: shared state converges and shared events cross', async () => {
  const a = await openApp()
  const b = await openApp()
  await a.evaluate(() => window.consumer.shared())
  await b.evaluate(() => window.consumer.shared())
  const heard = b.evaluate(() => window.consumer.chatLog())
  await a.evaluate(() => window.consumer.chat('hello from a'))
  expect(await heard).toEqual(['hello from a'])
  await a.evaluate(() => window.consumer.setShared(42))
  await expect.poll(() => b.evaluate(() => window.consumer.shared())).toBe(42)
  const c = await openApp() // a late tab gets the current value from the open ones
  expect(await c.evaluate(() => window.consumer.shared())).toBe(42)
  await Promise.all([a.close(), b.close(), c.close()])
})

test('a worker pool job runs in a module worker built by Vite', async () => {
  const page = await openApp()
  expect(await page.evaluate(() => window.consumer.poolJob())).toEqual([4, 9, 16])
  await page.close()
})

test('history stores recorded and persistent events and answers a query', async () => {
  const page = await openApp()
  expect(await page.evaluate(() => window.consumer.history())).toEqual({ audit: [{ text: 'recorded' }], all: 2 })
  await page.close()
})

test('the DevTools panel connects to the app and shows its events', async () => {
  const page = await openApp()
  const tabId = await tabIdOf(ext.context, page)
  const panel = await openPanel(ext.context, tabId)
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 })
  await expect(panel.getByTestId('connection')).toHaveText('consumer')
  await page.evaluate(() => window.consumer.basics())
  // The log also holds what the agent recorded before the panel opened (the bus's $tidings.*
  // events), and it is virtualized: filter to the app's events and wait for their batch.
  await panel.getByTestId('filter').fill('order.**')
  const types = () => panel.getByTestId('log-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')))
  await expect.poll(types, { timeout: 15_000 }).toEqual(['order.created', 'order.paid', 'order.paid', 'order.paid'])
  expect(await page.evaluate(() => window.consumer.devtools())).toEqual({ connected: true, sessions: 1 })
  await Promise.all([panel.close(), page.close()])
})

test('no page errors in any of it', () => {
  expect(problems).toEqual([])
})
