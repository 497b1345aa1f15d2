// The same fixture app served from source by the fixtures dev server (module workers transformed
// on the fly by Vite): bridge round trip, pool results and crash recovery in real Chromium.
import { expect, test } from '@playwright/test'
import { FIXTURES_URL } from '../playwright.config.ts'

test('worker fixture app works from source (dev server)', async ({ page }) => {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${FIXTURES_URL}/worker/app/index.html`)
  await expect(page.locator('body')).toHaveAttribute('data-result', /.+/, { timeout: 60_000 })
  const result = JSON.parse((await page.locator('body').getAttribute('data-result'))!) as Record<string, unknown>
  expect(result).toEqual({
    bridge: { data: { doubled: 40 }, correlationId: 'c-app', bridgedBy: 'worker', peer: true },
    pool: [9, 16, 25],
    crash: 'WorkerCrashedError',
    afterCrash: 81,
    stats: { restarts: 1, crashes: 1 },
  })
  expect(errors).toEqual([])
})
