// The worker fixture app's end state, checked the same way whether it is served from source
// (worker.spec.ts) or from a Vite library build (worker-build.spec.ts).
import { expect, type Page } from '@playwright/test'

export async function expectWorkerAppWorks(page: Page, url: string): Promise<void> {
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(url)
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
}
