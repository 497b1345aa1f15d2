// Where the system Chromium lives and the flags it needs here (root, no network, no GPU).
// Shared by Vitest browser mode, Playwright e2e tests and the browser benchmarks.
import { existsSync } from 'node:fs'

export function chromiumPath(): string {
  const fromEnv = process.env['CHROMIUM_PATH']
  if (fromEnv) return fromEnv
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (existsSync(p)) return p
  }
  return '/usr/bin/chromium'
}

export const chromiumArgs: string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
