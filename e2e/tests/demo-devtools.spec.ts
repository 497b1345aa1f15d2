// The built demo inspected by the real Tidings DevTools extension (extension/dist, loaded unpacked):
// the demo's connectDevtools(bus, { name: 'demo' }) -> content script -> background -> panel page.
import { expect, test } from '@playwright/test'
import { launchWithExtension, openPanel, tabIdOf, type ExtensionBrowser } from '../extension.ts'
import { DEMO_URL } from '../playwright.config.ts'

let ext: ExtensionBrowser
test.beforeAll(async () => {
  test.setTimeout(240_000) // builds the extension once
  ext = await launchWithExtension({ name: 'demo-devtools' })
})
test.afterAll(async () => {
  await ext?.close()
})

test('the DevTools panel shows the demo bus, its task events and the slow consumer’s drops', async () => {
  test.setTimeout(90_000)
  const page = await ext.context.newPage()
  await page.goto(DEMO_URL + '/')
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 })
  const panel = await openPanel(ext.context, await tabIdOf(ext.context, page))
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 20_000 })
  await expect(panel.getByTestId('connection')).toHaveText('demo')

  // A task added in the demo shows in the panel's log, with its type.
  await page.getByTestId('task-input').fill('Inspect me')
  await page.getByTestId('task-add').click()
  await panel.getByTestId('filter').fill('task.**')
  const rows = panel.getByTestId('log-row')
  await expect(rows).toHaveCount(1, { timeout: 15_000 })
  await expect(rows.first()).toHaveAttribute('data-type', 'task.created')

  // The burst's drops show on the slow consumer's row of the subscriptions table.
  await page.getByTestId('burst').click()
  await expect(page.getByTestId('ov-received')).toHaveText('1000')
  const dropped = Number(await page.getByTestId('ov-dropped').textContent())
  expect(dropped).toBeGreaterThanOrEqual(900)
  await panel.getByTestId('tab-subscriptions').click()
  const slow = panel.getByTestId('sub-row').filter({ hasText: 'slow-consumer' })
  await expect(slow).toHaveCount(1, { timeout: 15_000 })
  await expect(slow.locator('td').nth(5)).toHaveText('drop-oldest')
  await expect(slow.getByTestId('sub-received')).toHaveText('1000', { timeout: 15_000 })
  await expect(slow.locator('td').nth(8)).toHaveText(String(dropped))
})
