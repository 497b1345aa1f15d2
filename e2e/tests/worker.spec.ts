// The same fixture app served from source by the fixtures dev server (module workers transformed
// on the fly by Vite): bridge round trip, pool results and crash recovery in real Chromium.
import { test } from '@playwright/test'
import { expectWorkerAppWorks } from '../worker-app.ts'
import { FIXTURES_URL } from '../playwright.config.ts'

test('worker fixture app works from source (dev server)', async ({ page }) => {
  await expectWorkerAppWorks(page, `${FIXTURES_URL}/worker/app/index.html`)
})
