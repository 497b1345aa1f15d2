// Root Vitest config: one "node" project for pure logic, one "browser" project that runs
// *.browser.test.ts in real headless Chromium through Playwright (IndexedDB, BroadcastChannel,
// Workers and Web Locks are never mocked).
import { existsSync } from 'node:fs'
import { defaultClientConditions, defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'
import { playwright } from '@vitest/browser-playwright'
import babel from '@rolldown/plugin-babel'
import { chromiumPath, chromiumArgs } from './e2e/chromium.mjs'
import { natsCommands } from './test-support/nats-server.ts'

const executablePath = chromiumPath()
if (!existsSync(executablePath)) {
  throw new Error(
    `Chromium not found at ${executablePath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`,
  )
}

const resolve = { conditions: ['source', ...defaultClientConditions] }

export default defineConfig({
  resolve,
  // Vite 8's transform (oxc) does not lower standard decorators: test files that use `@` syntax
  // (*decorators*.test.ts) go through Babel's 2023-11 decorators plugin, as an app would.
  plugins: [babel({ include: [/decorators[^/]*\.test\.ts$/], plugins: [['@babel/plugin-proposal-decorators', { version: '2023-11' }]] })],
  // Node-project tests outside a package (bench/) import @tidings/* from source too.
  ssr: { resolve: { conditions: ['source', ...defaultServerConditions], externalConditions: ['source'] } },
  optimizeDeps: { include: ['comlink', 'idb', 'rxjs', 'rxjs/operators', 'rxjs/testing', 'picomatch/posix.js', 'valibot', '@nats-io/nats-core', '@nats-io/jetstream'] },
  worker: { format: 'es' },
  test: {
    // The repo's tests use every glob form, so the extended matcher is loaded for all of them
    // (pattern.test.ts removes it to test the error an app without it gets).
    setupFiles: ['./packages/core/src/globs.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
          // Property tests run 1000 cases; on 2 busy cores they have taken more than the 5 s default.
          testTimeout: 20_000,
          // Source errors are npm run typecheck's job; here only the type assertions count.
          typecheck: { enabled: true, include: ['packages/*/src/**/*.test-d.ts'], tsconfig: './tsconfig.json', ignoreSourceErrors: true },
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['packages/*/src/**/*.browser.test.ts', 'packages/*/src/**/*.browser.test.tsx', 'extension/src/**/*.browser.test.ts'],
          testTimeout: 20_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
            // A real nats-server per test file (packages/nats): started, stopped and restarted by PID.
            commands: natsCommands,
          },
        },
      },
    ],
  },
})
