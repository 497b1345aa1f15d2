// Playwright e2e: real headless Chromium (system build, see chromium.ts). Fixture pages under
// e2e/fixtures are served by a Vite dev server that resolves @tidings/* from source.
import { defineConfig } from '@playwright/test'
import { chromiumArgs, chromiumPath } from './chromium.mjs'

export const FIXTURES_URL = 'http://127.0.0.1:5174'
export const DEMO_URL = 'http://127.0.0.1:5173'

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: '../test-results',
  use: {
    headless: true,
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: chromiumPath(), args: chromiumArgs },
  },
  webServer: [
    {
      command: 'npx vite --config e2e/fixtures/vite.config.ts --port 5174 --strictPort --host 127.0.0.1',
      cwd: '..',
      url: FIXTURES_URL + '/index.html',
      reuseExistingServer: !process.env['CI'],
      timeout: 60_000,
    },
    {
      // The built demo (what `npm run demo` serves), for e2e/tests/demo*.spec.ts.
      command: 'npm run build -w @tidings/demo && npm run preview -w @tidings/demo',
      cwd: '..',
      url: DEMO_URL + '/',
      reuseExistingServer: !process.env['CI'],
      timeout: 120_000,
    },
  ],
})
