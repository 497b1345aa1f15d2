// Where the system Chromium lives and the flags it needs here (root, no network, no GPU).
// Plain JS (types in chromium.d.mts) so Vitest, Playwright and the Node bench runner share it.
import { existsSync } from 'node:fs'

export function chromiumPath() {
  const fromEnv = process.env['CHROMIUM_PATH']
  if (fromEnv) return fromEnv
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    if (existsSync(p)) return p
  }
  return '/usr/bin/chromium'
}

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
