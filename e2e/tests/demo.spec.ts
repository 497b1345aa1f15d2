// End-to-end tests of the BUILT demo (demo/dist served by `vite preview`, see playwright.config.ts)
// in real headless Chromium: tabs are pages of one browser context, so they share BroadcastChannel,
// Web Locks and IndexedDB exactly as two tabs of one browser window do.
import { expect, test, type Page } from '@playwright/test'
import { decode } from '@tidings/core/bridge'
import { readFileSync } from 'node:fs'
import { DEMO_URL } from '../playwright.config.ts'

async function openTab(page: Page): Promise<Page> {
  await page.goto(DEMO_URL + '/')
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 })
  return page
}

async function addTask(page: Page, title: string): Promise<void> {
  await page.getByTestId('task-input').fill(title)
  await page.getByTestId('task-add').click()
}

const titles = (page: Page) => page.getByTestId('task-title')
const task = (page: Page, title: string) => page.getByTestId('task').filter({ hasText: title })

test.describe('demo', () => {
  test('two tabs see the same tasks, and an edit in one shows in the other', async ({ context }) => {
    const a = await openTab(await context.newPage())
    const b = await openTab(await context.newPage())
    // Each tab sees the other through the tabs bridge's presence.
    await expect(a.getByTestId('peer-count')).toHaveAttribute('data-count', '1')
    await expect(b.getByTestId('peer-count')).toHaveAttribute('data-count', '1')
    // Exactly one of the two leads.
    const leaders = [await a.getByTestId('leader').getAttribute('data-leader'), await b.getByTestId('leader').getAttribute('data-leader')]
    expect(leaders.sort()).toEqual(['false', 'true'])

    await addTask(a, 'Write the README')
    await addTask(a, 'Fix the flaky test')
    await expect(titles(b)).toHaveText(['Write the README', 'Fix the flaky test'])

    // Edit in B shows in A.
    await task(b, 'Fix the flaky test').getByTestId('task-edit').click()
    await b.getByTestId('task-edit-input').fill('Fix the flaky e2e test')
    await b.getByTestId('task-save').click()
    await expect(titles(a)).toHaveText(['Write the README', 'Fix the flaky e2e test'])

    // Toggle in A shows in B; delete in B shows in A.
    await task(a, 'Write the README').getByTestId('task-toggle').click()
    await expect(task(b, 'Write the README')).toHaveAttribute('data-done', 'true')
    await expect(b.getByTestId('task-summary')).toHaveText('2 tasks, 1 open')
    await task(b, 'Fix the flaky e2e test').getByTestId('task-delete').click()
    await expect(titles(a)).toHaveText(['Write the README'])
    await expect(a.getByTestId('task-summary')).toHaveText('1 task, 0 open')

    // The activity events crossed too: A's log shows B's edit and delete as coming from 'tabs'.
    await a.getByTestId('log-filter').fill('task.*')
    const fromB = a.locator('[data-testid=log-row][data-via=tabs]')
    await expect(fromB).toHaveCount(2)
    expect(await fromB.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')))).toEqual(['task.deleted', 'task.updated'])
    // And A's own three events are local, newest first.
    const own = a.locator('[data-testid=log-row][data-via=local]')
    expect(await own.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')))).toEqual([
      'task.updated',
      'task.created',
      'task.created',
    ])
  })

  test('a late tab gets the current state', async ({ context }) => {
    const a = await openTab(await context.newPage())
    await addTask(a, 'one')
    await addTask(a, 'two')
    await addTask(a, 'three')
    await task(a, 'two').getByTestId('task-toggle').click()
    await expect(a.getByTestId('task-summary')).toHaveText('3 tasks, 2 open')

    const late = await openTab(await context.newPage())
    // Rendered only after `ready`, so the first paint already has the tasks.
    await expect(titles(late)).toHaveText(['one', 'two', 'three'])
    await expect(task(late, 'two')).toHaveAttribute('data-done', 'true')
    await expect(late.getByTestId('task-summary')).toHaveText('3 tasks, 2 open')

    // The first tab leads; when it closes, the late tab takes over (Web Locks) and sees it leave.
    await expect(a.getByTestId('leader')).toHaveAttribute('data-leader', 'true')
    await expect(late.getByTestId('leader')).toHaveAttribute('data-leader', 'false')
    await a.close()
    await expect(late.getByTestId('leader')).toHaveAttribute('data-leader', 'true')
    await expect(late.getByTestId('peer-count')).toHaveAttribute('data-count', '0')

    // With every tab closed, a new one gets the state from IndexedDB (persist: true).
    await late.close()
    const alone = await openTab(await context.newPage())
    await expect(titles(alone)).toHaveText(['one', 'two', 'three'])
    await expect(alone.getByTestId('peer-count')).toHaveAttribute('data-count', '0')
  })

  test('history survives a reload, is queried by pattern and time, and replays', async ({ page }) => {
    await openTab(page)
    await addTask(page, 'alpha')
    await addTask(page, 'beta')
    await task(page, 'alpha').getByTestId('task-toggle').click()
    await task(page, 'beta').getByTestId('task-delete').click()
    await expect(page.getByTestId('task-summary')).toHaveText('1 task, 0 open')
    // Wait until the writes are committed, as the panel's Query button does (flush first).
    await page.getByTestId('history-query').click()
    await expect(page.getByTestId('history-status')).toHaveText('4 events found')

    await page.reload()
    await expect(page.locator('body')).toHaveAttribute('data-ready', 'true')
    // The panel queries on load: newest first.
    const rows = page.getByTestId('history-row')
    await expect(rows).toHaveCount(4)
    expect(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-type')))).toEqual([
      'task.deleted',
      'task.updated',
      'task.created',
      'task.created',
    ])
    await expect(rows.first()).toContainText('beta')

    // Pattern filter: only creations.
    await page.getByTestId('history-pattern').fill('task.created')
    await page.getByTestId('history-query').click()
    await expect(page.getByTestId('history-status')).toHaveText('2 events found')
    await expect(rows).toHaveText([/task\.created beta/, /task\.created alpha/])

    // Time filter: nothing is older than the last 5 minutes, all of it is within it.
    await page.getByTestId('history-range').selectOption('5m')
    await page.getByTestId('history-pattern').fill('task.**')
    await page.getByTestId('history-query').click()
    await expect(page.getByTestId('history-status')).toHaveText('4 events found')

    // A bad pattern is reported, not thrown.
    await page.getByTestId('history-pattern').fill('task.[')
    await page.getByTestId('history-query').click()
    await expect(page.getByTestId('history-error')).toContainText('task.[')

    // Replay: the 4 events come back onto the bus, in their original order, marked as replayed.
    await page.getByTestId('history-pattern').fill('task.**')
    await page.getByTestId('history-replay').click()
    await expect(page.getByTestId('history-status')).toHaveText('replayed 4 events')
    await page.getByTestId('log-filter').fill('task.**')
    const replayed = page.locator('[data-testid=log-row][data-via=replay]')
    await expect(replayed).toHaveCount(4)
    expect(await replayed.evaluateAll((r) => r.map((x) => x.getAttribute('data-type')))).toEqual([
      'task.deleted',
      'task.updated',
      'task.created',
      'task.created',
    ])
    // Export: the same 4 events, one encoded envelope per line (the type-preserving encoding, read
    // back with decode), oldest first, envelopes intact.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('history-export').click()])
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n')
    const exported = lines.map((l) => decode(l, 'an exported event') as { type: string; version: number; data: unknown })
    expect(exported.map((e) => e.type)).toEqual(['task.created', 'task.created', 'task.updated', 'task.deleted'])
    expect(exported.every((e) => e.version === 1)).toBe(true)
    expect(exported[0]!.data).toMatchObject({ task: { title: 'alpha', done: false } })

    // Replayed events are not stored again, and the board itself is unchanged.
    await page.getByTestId('history-query').click()
    await expect(page.getByTestId('history-status')).toHaveText('4 events found')
    await expect(titles(page)).toHaveText(['alpha'])
  })

  test('a worker job completes, can be cancelled, and a crash is reported', async ({ page }) => {
    test.setTimeout(120_000)
    await openTab(page)
    const status = page.getByTestId('job-status')

    // Completes: a seeded job gives the same numbers every time.
    await page.getByTestId('job-start').click()
    await expect(status).toHaveAttribute('data-state', 'running')
    await expect(status).toHaveAttribute('data-state', 'completed', { timeout: 60_000 })
    await expect(page.getByTestId('job-count')).toHaveText('200000')
    const mean = Number(await page.getByTestId('job-mean').textContent())
    expect(mean).toBeGreaterThan(49)
    expect(mean).toBeLessThan(51)
    // Progress came from the worker, through the worker bridge, in order.
    await page.getByTestId('log-filter').fill('job.stats.progress')
    const progress = page.locator('[data-testid=log-row][data-via^=worker]')
    await expect(progress).toHaveCount(20)

    // Cancel once progress shows: the call rejects with AbortedError.
    await page.getByTestId('job-start').click()
    await expect(page.getByTestId('job-progress')).not.toHaveAttribute('value', '0', { timeout: 30_000 })
    await page.getByTestId('job-cancel').click()
    await expect(status).toHaveAttribute('data-state', 'failed')
    await expect(status).toHaveAttribute('data-error', 'AbortedError')

    // Crash: the worker dies half way; the UI reports WorkerCrashedError.
    await page.getByTestId('job-crash').click()
    await expect(status).toHaveAttribute('data-state', 'failed', { timeout: 60_000 })
    await expect(status).toHaveAttribute('data-error', 'WorkerCrashedError')
    await expect(page.getByTestId('job-error')).toHaveText('WorkerCrashedError')

    // The pool replaced the crashed worker: the next job completes with the same result.
    await page.getByTestId('job-start').click()
    await expect(status).toHaveAttribute('data-state', 'completed', { timeout: 60_000 })
    expect(Number(await page.getByTestId('job-mean').textContent())).toBe(mean)
  })

  test('a burst into the slow consumer shows drops in the counters', async ({ page }) => {
    await openTab(page)
    const num = async (id: string) => Number(await page.getByTestId(id).textContent())
    await page.getByTestId('burst').click()
    await expect(page.getByTestId('ov-published')).toHaveText('1000')
    await expect(page.getByTestId('ov-received')).toHaveText('1000')
    // The queue holds 50 and the consumer is slow: most of the 1000 were dropped, oldest first,
    // during the publish calls themselves (the receipts' `dropped` add up to the counter).
    const dropped = await num('ov-dropped')
    expect(dropped).toBeGreaterThanOrEqual(900)
    expect(await num('burst-dropped')).toBe(dropped)
    await expect(page.getByTestId('ov-bus-dropped')).toHaveText(String(dropped))
    // Once drained, every tick was either handled or dropped, and the newest tick survived.
    await expect(page.getByTestId('ov-queued')).toHaveText('0 / 50', { timeout: 20_000 })
    await expect(page.getByTestId('ov-last')).toHaveText('999')
    const handled = await num('ov-handled')
    expect(handled + (await num('ov-dropped'))).toBe(1000)
    expect(handled).toBeGreaterThanOrEqual(50)

    // A second burst adds up.
    await page.getByTestId('burst').click()
    await expect(page.getByTestId('ov-published')).toHaveText('2000')
    await expect(page.getByTestId('ov-received')).toHaveText('2000')
    await expect(page.getByTestId('ov-queued')).toHaveText('0 / 50', { timeout: 20_000 })
    await expect(page.getByTestId('ov-last')).toHaveText('1999')
    expect((await num('ov-handled')) + (await num('ov-dropped'))).toBe(2000)
    await expect(page.getByTestId('ov-bus-dropped')).toHaveText(String(await num('ov-dropped')))

    // The log and its throughput meter saw every tick; the filter narrows the log by pattern.
    expect(await num('throughput-total')).toBeGreaterThanOrEqual(2000)
    await page.getByTestId('log-filter').fill('load.*')
    await expect(page.getByTestId('log-count')).toHaveText('300') // the log keeps the last 300
    await page.getByTestId('log-filter').fill('task.**')
    await expect(page.getByTestId('log-count')).toHaveText('0')
    // An invalid pattern is explained, not thrown.
    await page.getByTestId('log-filter').fill('load.[')
    await expect(page.getByTestId('log-filter-error')).toContainText('load.[')
  })
})
