// Helpers for Playwright tests that load the Tidings DevTools extension (extension/dist) into a
// persistent Chromium profile kept under .profiles/ (gitignored).
import { type BrowserContext, type Page, chromium, test } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EXTENSION_ID } from '../extension/src/extension-id.ts'
import { chromiumArgs, chromiumPath } from './chromium.mjs'

export { EXTENSION_ID }
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
export const EXTENSION_DIST = join(REPO, 'extension', 'dist')

export interface FixtureServer {
  url: string
  close(): Promise<void>
}

/** A private Vite server for e2e/fixtures (same config as the shared one on :5174) without HMR
 *  or file watching, so pages are not reloaded while others edit the repo, on a free port. */
export async function startFixtureServer(): Promise<FixtureServer> {
  const { createServer } = await import('vite')
  const server = await createServer({
    configFile: join(REPO, 'e2e', 'fixtures', 'vite.config.ts'),
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    logLevel: 'error',
  })
  await server.listen()
  const address = server.httpServer?.address()
  if (!address || typeof address === 'string') throw new Error('fixture server has no port')
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() }
}

let built = false
/** Builds the extension once per test process (vite build, a few seconds). */
export function buildExtension(): void {
  if (built && existsSync(join(EXTENSION_DIST, 'manifest.json'))) return
  execFileSync('npm', ['run', 'build', '-w', '@tidings/extension'], { cwd: REPO, stdio: 'pipe', timeout: 180_000 })
  built = true
}

export interface ExtensionBrowser {
  context: BrowserContext
  extensionId: string
  profileDir: string
  close(): Promise<void>
}

export async function launchWithExtension(opts: { extraArgs?: string[]; name?: string } = {}): Promise<ExtensionBrowser> {
  buildExtension()
  const profileDir = join(REPO, '.profiles', `${opts.name ?? 'devtools'}-${process.pid}-${Date.now()}`)
  mkdirSync(profileDir, { recursive: true })
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: [...chromiumArgs, `--disable-extensions-except=${EXTENSION_DIST}`, `--load-extension=${EXTENSION_DIST}`, ...(opts.extraArgs ?? [])],
  })
  const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }))
  const extensionId = new URL(sw.url()).host
  return {
    context,
    extensionId,
    profileDir,
    async close() {
      await context.close()
      rmSync(profileDir, { recursive: true, force: true })
    },
  }
}

/** The chrome.tabs id of `page`: bring it to the front and ask the service worker for the active tab. */
export async function tabIdOf(context: BrowserContext, page: Page): Promise<number> {
  await page.bringToFront()
  const sw = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`))
  if (!sw) throw new Error('extension service worker not found')
  const id = await sw.evaluate(async () => {
    const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true })
    return tab?.id ?? -1
  })
  if (id < 0) throw new Error('no active tab found')
  return id
}

/** Opens the panel page for a tab as a normal tab (chrome.devtools is undefined there). */
export async function openPanel(context: BrowserContext, tabId: number, query = ''): Promise<Page> {
  const panel = await context.newPage()
  await panel.goto(`chrome-extension://${EXTENSION_ID}/panel.html?tabId=${tabId}${query}`)
  return panel
}

/** The remote debugging port Chromium wrote when launched with --remote-debugging-port=0. */
export function devtoolsActivePort(profileDir: string): { port: number; browserPath: string } {
  const [port, browserPath] = readFileSync(join(profileDir, 'DevToolsActivePort'), 'utf8').trim().split('\n')
  return { port: Number(port), browserPath: browserPath ?? '' }
}

/** For a spec file of serial tests against the extension: registers the hooks that start the
 *  fixture server and launch Chromium with the extension once (up to 240 s: the first launch
 *  builds the extension) and close both afterwards. `ext` and `fixtures` are set before the
 *  first test runs. */
export function extensionSuite(name: string): { ext: ExtensionBrowser; fixtures: FixtureServer } {
  const suite = {} as { ext: ExtensionBrowser; fixtures: FixtureServer }
  test.describe.configure({ mode: 'serial' })
  test.setTimeout(90_000)
  test.beforeAll(async () => {
    test.setTimeout(240_000)
    suite.fixtures = await startFixtureServer()
    suite.ext = await launchWithExtension({ name })
  })
  test.afterAll(async () => {
    await suite.ext?.close()
    await suite.fixtures?.close()
  })
  return suite
}
