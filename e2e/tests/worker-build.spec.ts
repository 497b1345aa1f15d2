// The built library works when consumed from another Vite app: build @tidings/worker in library
// mode, build the fixture app against that build (base './'), serve the app's dist from a nested
// path on a free port and check that the module workers load and work in real Chromium.
import { createServer, type Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { expectWorkerAppWorks } from '../worker-app.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const APP = path.join(ROOT, 'e2e/fixtures/worker/app')
const LIB_OUT = path.join(APP, 'lib', 'dist') // every dist/ is git-ignored
const APP_OUT = path.join(APP, 'dist')
const MOUNT = '/some/nested/path/'

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' }

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (!url.pathname.startsWith(MOUNT)) {
      res.writeHead(404).end('outside the mount path')
      return
    }
    const rel = decodeURIComponent(url.pathname.slice(MOUNT.length)) || 'index.html'
    const file = path.join(dir, rel)
    if (!file.startsWith(dir)) {
      res.writeHead(403).end()
      return
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end('not found'),
    )
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      resolve({ server, url: `http://127.0.0.1:${port}${MOUNT}` })
    })
  })
}

test.describe('@tidings/worker built with Vite', () => {
  test.setTimeout(180_000)

  test('a library build consumed by a Vite app (base ./) runs its module workers from any path', async ({ page }) => {
    const { build } = await import('vite')
    // 1. The library, as it would be published: deps stay external.
    await build({
      configFile: false,
      root: path.join(ROOT, 'packages/worker'),
      logLevel: 'warn',
      build: {
        outDir: LIB_OUT,
        emptyOutDir: true,
        minify: false,
        lib: { entry: path.join(ROOT, 'packages/worker/src/index.ts'), formats: ['es'], fileName: 'index' },
        rolldownOptions: { external: [/^@tidings\/core/, /^comlink/, /^rxjs/] },
      },
    })
    const libFile = path.join(LIB_OUT, 'index.js')
    expect(existsSync(libFile)).toBe(true)
    const libCode = readFileSync(libFile, 'utf8')
    expect(libCode).toContain('export')
    expect(libCode).not.toContain('src/index.ts') // really built, not re-exporting source

    // 2. The consumer app against the built library.
    await build({
      configFile: path.join(APP, 'vite.config.ts'),
      resolve: { alias: { '@tidings/worker': libFile } },
      build: { outDir: APP_OUT },
    })
    const assets = readdirSync(path.join(APP_OUT, 'assets'))
    expect(assets.filter((f) => f.startsWith('bus-worker') && f.endsWith('.js'))).toHaveLength(1)
    expect(assets.filter((f) => f.startsWith('pool-worker') && f.endsWith('.js'))).toHaveLength(1)
    const html = readFileSync(path.join(APP_OUT, 'index.html'), 'utf8')
    expect(html).toContain('src="./assets/') // relative, thanks to base './'

    // 3. Served from a nested path: worker URLs must resolve relative to the bundle.
    const { server, url } = await serve(APP_OUT)
    try {
      const workerRequests: string[] = []
      page.on('request', (r) => {
        if (/(bus|pool)-worker/.test(r.url())) workerRequests.push(r.url())
      })
      await expectWorkerAppWorks(page, url)
      expect(workerRequests.length).toBeGreaterThanOrEqual(2)
      for (const u of workerRequests) expect(u.startsWith(url + 'assets/')).toBe(true)
    } finally {
      server.close()
    }
  })
})
