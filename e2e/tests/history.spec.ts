// @tidings/history in real Chromium tabs: a reload with writes pending, a real storage quota,
// an upgrade and a blocked upgrade from another tab, and events shared between tabs (tabs
// bridge) stored once.
import { expect, test, type Page } from '@playwright/test'
import { FIXTURES_URL } from '../playwright.config.ts'
import type { HistoryFixtureApi } from '../fixtures/history/app.ts'

const URL = `${FIXTURES_URL}/history/index.html`
const ORIGIN = FIXTURES_URL
let n = 0
const dbName = (label: string) => `e2e-${label}-${Date.now()}-${n++}`

async function openPage(page: Page): Promise<void> {
  await page.goto(URL)
  await page.waitForFunction(() => 'historyFixture' in window)
}
type Api = HistoryFixtureApi
const api = <R>(page: Page, fn: (a: Api, arg: never) => R | Promise<R>, arg?: unknown): Promise<R> =>
  page.evaluate(({ src, arg: a }) => new Function('api', 'arg', `return (${src})(api, arg)`)(window.historyFixture, a) as R, { src: fn.toString(), arg })

test('every event whose publishAsync resolved is stored after a reload with writes pending', async ({ page }) => {
  const db = dbName('reload')
  const acked = new Set<string>()
  page.on('console', (m) => {
    const t = m.text()
    if (t.startsWith('ACK ')) acked.add(t.slice(4))
  })
  await openPage(page)
  expect(await api(page, (a, d: string) => a.init({ dbName: d }), db)).toEqual({ ok: true })
  await api(page, (a) => a.startLoad(200))
  await expect.poll(() => acked.size, { timeout: 30_000 }).toBeGreaterThan(2000)
  // Reload in the middle of the load: batches are pending and in flight.
  const pendingBefore = await api(page, (a) => a.stats().pending)
  expect(pendingBefore).toBeGreaterThan(0)
  await page.reload()
  await page.waitForFunction(() => 'historyFixture' in window)
  const ackedNow = [...acked]
  expect(await api(page, (a, d: string) => a.init({ dbName: d }), db)).toEqual({ ok: true })
  const stored = await api(page, async (a) => (await a.query({ type: 'load.tick' })).map((e) => e.id))
  const storedSet = new Set(stored)
  const missing = ackedNow.filter((id) => !storedSet.has(id))
  expect(missing).toEqual([])
  expect(stored.length).toBeGreaterThanOrEqual(ackedNow.length)
  // Stored in publish order (per-origin seq ascending).
  const seqs = stored.map((id) => Number(id.slice(id.lastIndexOf(':') + 1)))
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
  console.log(`reload: ${pendingBefore} writes pending just before the reload; ${ackedNow.length} acknowledged, ${stored.length} stored after it, 0 acknowledged missing`)
})

test('a real storage quota (DevTools protocol): HistoryQuotaError, event delivered in memory, nothing unacknowledged stored', async ({ page }) => {
  const db = dbName('quota')
  const cdp = await page.context().newCDPSession(page)
  // Set before the origin's IndexedDB is first used in this fresh context.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: ORIGIN, quotaSize: 2 * 1024 * 1024 })
  await openPage(page)
  expect(await api(page, (a, d: string) => a.init({ dbName: d }), db)).toEqual({ ok: true })
  expect(await api(page, (a) => a.publishAsync('q.small', 1))).toMatchObject({ ok: true })
  const big = await api(page, (a) => a.publishAsync('q.big', 2, { randomBytes: 8 * 1024 * 1024 }))
  expect(big).toMatchObject({ ok: false, name: 'HistoryQuotaError' })
  expect((big as { message: string }).message).toMatch(/Storage quota exceeded .* delivered in memory but not stored/)
  expect(await api(page, (a) => a.delivered())).toEqual(['q.small', 'q.big'])
  expect(await api(page, (a) => a.errors())).toEqual(['HistoryQuotaError'])
  expect(await api(page, (a) => a.publishAsync('q.after', 3))).toMatchObject({ ok: true })
  expect(await api(page, (a, d: string) => a.rawTypes(d), db)).toEqual(['q.small', 'q.after'])
})

test('another tab upgrades the database: not blocked, pending writes kept, later writes refused with a clear error', async ({ page, context }) => {
  const db = dbName('upgrade')
  await openPage(page)
  expect(await api(page, (a, d: string) => a.init({ dbName: d }), db)).toEqual({ ok: true })
  expect(await api(page, (a) => a.publishAsync('v.acked', 1))).toMatchObject({ ok: true })
  await api(page, (a) => a.publish('v.pending', 2))
  const other = await context.newPage()
  await openPage(other)
  const upgrade = await api(other, (a, d: string) => a.rawUpgrade(d), db)
  expect(upgrade.blocked).toBe(false)
  expect(upgrade.types).toEqual(['v.acked', 'v.pending'])
  expect(await api(page, (a) => a.status())).toBe('versionchange')
  const late = await api(page, (a) => a.publishAsync('v.late', 3))
  expect(late).toMatchObject({ ok: false, name: 'HistoryClosedError' })
  expect((late as { message: string }).message).toMatch(/another tab upgraded the database to version 2\. Reload this tab/)
  expect(await api(page, (a) => a.delivered())).toEqual(['v.acked', 'v.pending', 'v.late'])
})

test('an upgrade blocked by another tab fails after blockedTimeoutMs and recovers when that tab closes', async ({ page, context }) => {
  const db = dbName('blocked')
  const other = await context.newPage()
  await openPage(other)
  await api(other, (a, d: string) => a.rawHold(d, 1), db)
  await openPage(page)
  const init = await api(page, (a, d: string) => a.init({ dbName: d, blockedTimeoutMs: 500 }), db)
  expect(init.ok).toBe(false)
  expect(init.error).toMatch(/^HistoryBlockedError: Opening IndexedDB ".*" was blocked for 500 ms by another connection/)
  expect(await api(page, (a) => a.publishAsync('b.one', 1))).toMatchObject({ ok: false, name: 'HistoryBlockedError' })
  await other.close()
  await expect.poll(() => api(page, (a) => a.publishAsync('b.two', 2)).then((r) => r.ok), { timeout: 15_000 }).toBe(true)
  expect(await api(page, (a) => a.status())).toBe('open')
  expect((await api(page, (a) => a.query())).map((e) => e.type)).toEqual(['b.two'])
})

test('events shared between tabs by the tabs bridge are stored once', async ({ page, context }) => {
  const db = dbName('tabs')
  const other = await context.newPage()
  for (const p of [page, other]) {
    await openPage(p)
    expect(await api(p, (a, d: string) => a.init({ dbName: d, tabs: true }), db)).toEqual({ ok: true })
    await api(p, (a) => a.tabsReady())
  }
  for (let i = 0; i < 20; i++) await api(page, (a, k: number) => a.publishAsync('shared.a', k), i)
  for (let i = 0; i < 20; i++) await api(other, (a, k: number) => a.publishAsync('shared.b', k), i)
  // Each tab received the other's events and recorded them too.
  await expect.poll(() => api(page, (a) => a.delivered().length), { timeout: 15_000 }).toBe(40)
  await expect.poll(() => api(other, (a) => a.delivered().length), { timeout: 15_000 }).toBe(40)
  await api(page, (a) => a.flush())
  await api(other, (a) => a.flush())
  const events = await api(page, (a) => a.query())
  expect(events).toHaveLength(40)
  expect(new Set(events.map((e) => e.id)).size).toBe(40)
  expect(events.filter((e) => e.type === 'shared.a').map((e) => e.data)).toEqual([...Array(20).keys()])
  expect(events.filter((e) => e.type === 'shared.b').map((e) => e.data)).toEqual([...Array(20).keys()])
})
