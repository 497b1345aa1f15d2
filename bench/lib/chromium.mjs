// Same values as e2e/chromium.ts (TypeScript, which Node 20 cannot import without a loader):
// keep the two in step.
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
