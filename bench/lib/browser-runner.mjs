// Browser benchmarks: packages/*/bench/*.browser-bench.ts, each imported into a fresh page (own
// browser context) of headless Chromium through a Vite dev server that resolves @tidings/* from
// source; the module's default export must resolve to a BenchTable (or an array of them).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import path from 'node:path'
import { chromiumArgs, chromiumPath } from '../../e2e/chromium.mjs'
import { indexedDbFiles } from './indexeddb-files.mjs'

const PORT = 5175
const MODULE_TIMEOUT_MS = 180_000

async function startServer(root, files, cacheDir) {
  const { createServer, defaultClientConditions } = await import('vite')
  const server = await createServer({
    configFile: false,
    root,
    logLevel: 'warn',
    clearScreen: false,
    publicDir: false,
    cacheDir,
    resolve: { conditions: ['source', ...defaultClientConditions] },
    optimizeDeps: {
      entries: files,
      include: ['comlink', 'idb', 'rxjs', 'rxjs/operators', 'picomatch/posix.js'],
    },
    worker: { format: 'es' },
    // Others edit files in this tree while benchmarks run: no watcher, no reloads mid-measurement.
    // 5175 is preferred; when another bench run holds it, Vite takes the next free port (a
    // different origin, so the two runs' storage and channels stay apart too).
    server: { host: '127.0.0.1', port: PORT, strictPort: false, hmr: false, watch: null },
  })
  await server.listen()
  const address = server.httpServer?.address()
  const port = typeof address === 'object' && address ? address.port : PORT
  return { server, baseUrl: `http://127.0.0.1:${port}` }
}

function withTimeout(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

// A file named *.disk.browser-bench.ts runs in a persistent context: its own Chromium with a real
// --user-data-dir (a fresh temp dir under the run's work dir, removed after), so IndexedDB lives
// in LevelDB on disk. Every other file runs in an in-memory (incognito-like) context.
async function openContext(browser, rel, profileRoot) {
  if (!rel.includes('.disk.')) return { context: await browser.newContext(), done: async () => {} }
  const { chromium } = await import('playwright')
  mkdirSync(profileRoot, { recursive: true })
  const dir = mkdtempSync(path.join(profileRoot, 'profile-'))
  const context = await chromium.launchPersistentContext(dir, { executablePath: chromiumPath(), args: chromiumArgs, headless: true })
  // A page of a disk bench may ask what IndexedDB holds on disk: every file under the profile's
  // IndexedDB directories (`*indexeddb.leveldb`: the default bucket's and any other storage bucket's),
  // sizes as Node's stat sees them. A usage delta from navigator.storage.estimate() is the quota
  // system's lazily updated figure, not the files.
  await context.exposeFunction('benchIndexedDbFiles', () => indexedDbFiles(dir))
  return { context, done: async () => rmSync(dir, { recursive: true, force: true }) }
}

async function runOne(browser, baseUrl, rel, log, { params = {}, timeoutMs = MODULE_TIMEOUT_MS, profileRoot }) {
  const { context, done } = await openContext(browser, rel, profileRoot)
  try {
    const page = await context.newPage()
    const pageErrors = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') log(`  [page ${msg.type()}] ${msg.text()}`)
    })
    const query = new URLSearchParams(params).toString()
    await page.goto(`${baseUrl}/bench/browser.html${query ? `?${query}` : ''}`)
    const run = page.evaluate(async (spec) => {
      const mod = await import(spec)
      if (typeof mod.default !== 'function') throw new Error(`${spec} has no default export function`)
      return await mod.default()
    }, `/${rel}`)
    try {
      return await withTimeout(run, timeoutMs, rel)
    } catch (e) {
      const extra = pageErrors.length ? `\nuncaught in page: ${pageErrors.join('\n')}` : ''
      throw new Error(`${e.message}${extra}`, { cause: e })
    }
  } finally {
    await context.close()
    await done()
  }
}

/** Runs every file; returns [{ table } | { title, error }] in order. `opts.params` go to the page's
 *  query string (a module reads them from location.search); `opts.timeoutMs` per module. */
export async function runBrowserBenches(root, files, cacheDir, log, opts = {}) {
  const one = { ...opts, profileRoot: path.dirname(cacheDir) }
  const executablePath = chromiumPath()
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`)
  }
  const { chromium } = await import('playwright')
  const { server, baseUrl } = await startServer(root, files, cacheDir)
  if (!baseUrl.endsWith(`:${PORT}`)) log(`port ${PORT} is busy (another bench run?): serving on ${baseUrl}`)
  let browser
  try {
    browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true })
  } catch (e) {
    await server.close()
    throw e
  }
  const out = []
  try {
    for (const rel of files) {
      log(`${rel} (Chromium ${browser.version()})`)
      const t0 = Date.now()
      let result
      try {
        result = await runOne(browser, baseUrl, rel, log, one)
      } catch (e) {
        // A dependency discovered late makes Vite re-optimize and fail the first import: retry once.
        if (/Outdated Optimize Dep|Failed to fetch dynamically imported module/i.test(String(e.message))) {
          log(`  retrying ${rel} after dependency optimization`)
          try {
            result = await runOne(browser, baseUrl, rel, log, one)
          } catch (e2) {
            out.push({ title: rel, error: e2.stack ?? String(e2) })
            continue
          }
        } else {
          out.push({ title: rel, error: e.stack ?? String(e) })
          continue
        }
      }
      log(`${rel}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
      for (const table of Array.isArray(result) ? result : [result]) out.push({ table })
    }
  } finally {
    await browser.close()
    await server.close()
  }
  return out
}
