// The Tidings DevTools extension, loaded unpacked into real headless Chromium: fixture page with
// connectDevtools -> content script -> background worker -> panel page (opened as a tab with
// ?tabId=N). The real DevTools panel is driven in devtools-real-panel.spec.ts.
import { type BrowserContext, type Page, expect, test } from '@playwright/test'
import { extensionSuite, openPanel, tabIdOf } from '../extension.ts'

const suite = extensionSuite('devtools-e2e')

async function fixtureWithPanel(context: BrowserContext, path = '/devtools/index.html'): Promise<{ page: Page; panel: Page; tabId: number }> {
  const page = await context.newPage()
  await page.goto(suite.fixtures.url + path)
  await page.waitForFunction(() => 'fixture' in window || 'forger' in window || document.title.includes('no agent'))
  const tabId = await tabIdOf(context, page)
  const panel = await openPanel(context, tabId)
  return { page, panel, tabId }
}

/** The app's rows: core's $tidings.* system events (subscription.added at the page's start,
 *  recorded before the panel opened) are left out. */
const rows = (panel: Page) => panel.locator('[data-testid=log-row]:not([data-type^="$"])')
/** [bridge, direction] of each hop in the open detail view. */
const hops = (panel: Page) => panel.getByTestId('hop-row').evaluateAll((els) => els.map((e) => [e.getAttribute('data-bridge'), e.getAttribute('data-direction')]))
const rowTypes = (panel: Page) => rows(panel).evaluateAll((els) => els.map((e) => e.getAttribute('data-type')))

test('live events arrive, filter by pattern, detail with deliveries, redaction and the causal chain', async () => {
  const { page, panel } = await fixtureWithPanel(suite.ext.context)
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 })
  await expect(panel.getByTestId('connection')).toHaveText('devtools-fixture')
  expect(await page.evaluate(() => window.fixture.connected())).toBe(true)

  await page.evaluate(() => {
    window.fixture.publish('user.login', { name: 'ada', password: 'hunter2-SECRET', card: { number: '4111-SECRET', brand: 'visa' } })
    window.fixture.publish('cart.item.added', { sku: 'A1', qty: 2 })
    window.fixture.publish('order.created', { orderId: 7 }, { correlationId: 'corr-7' })
  })
  // order.created's handler publishes order.paid (same correlation, causation = order.created)
  await expect(rows(panel)).toHaveCount(4, { timeout: 15_000 })
  await expect.poll(() => rowTypes(panel)).toEqual(['user.login', 'cart.item.added', 'order.paid', 'order.created'])

  // glob filter (core's semantics: ** spans segments, * one)
  await panel.getByTestId('filter').fill('order.*')
  await expect(rows(panel)).toHaveCount(2)
  await expect.poll(() => rowTypes(panel)).toEqual(['order.paid', 'order.created'])
  await panel.getByTestId('filter').fill('cart.*')
  await expect(rows(panel)).toHaveCount(0)
  await panel.getByTestId('filter').fill('cart.** user.login')
  await expect.poll(() => rowTypes(panel)).toEqual(['user.login', 'cart.item.added'])
  await panel.getByTestId('filter').fill('cart.[')
  await expect(panel.getByTestId('filter-error')).toContainText('Invalid pattern')
  await panel.getByTestId('filter').fill('')
  // Quoted: the search also reads event ids, whose random origin part can hold 'a1' (~1 run in
  // 150 it did, and every row matched); a quote appears only in the data's JSON.
  await panel.getByTestId('search').fill('"a1"')
  await expect.poll(() => rowTypes(panel)).toEqual(['cart.item.added'])
  await panel.getByTestId('search').fill('')
  await expect(rows(panel)).toHaveCount(4)

  // detail: envelope, data tree, deliveries with the subscription's label
  await rows(panel).filter({ hasText: 'user.login' }).click()
  const detail = panel.getByTestId('event-detail')
  await expect(panel.getByTestId('detail-type')).toHaveText('user.login')
  await expect(panel.getByTestId('detail-data')).toContainText('"ada"')
  await expect(panel.getByTestId('detail-data')).toContainText('"[redacted]"')
  await expect(panel.getByTestId('detail-data')).toContainText('"visa"')
  // the page marked it cut (redacted), so the panel says so and would not replay its own copy
  await expect(panel.getByTestId('detail-cut')).toBeVisible()

  // redacted values never reach the extension: not in the DOM, not in the panel's store
  const html = await panel.content()
  expect(html).not.toContain('SECRET')
  const storeJson = await panel.evaluate(() => JSON.stringify((globalThis as unknown as { tidingsPanel: { store: { toExport(): unknown } } }).tidingsPanel.store.toExport()))
  expect(storeJson).not.toContain('SECRET')
  expect(storeJson).toContain('[redacted]')

  // order.created: per-handler timing is off by default (the agent inspects no deliveries), so
  // the detail shows the receipt's counts; the toggle switches it on for this session, and the
  // next order.created shows who received it ('payment') and how long its handler took
  const timing = panel.getByTestId('timing')
  await expect(timing).toHaveAttribute('aria-pressed', 'false')
  await rows(panel).filter({ hasText: 'order.created' }).click()
  await expect(panel.getByTestId('detail-no-timing')).toContainText('Delivered to 1, queued for 0 of 1 matching')
  await timing.click()
  await expect(timing).toHaveAttribute('aria-pressed', 'true')
  await page.evaluate(() => window.fixture.publish('order.created', { orderId: 8 }, { correlationId: 'corr-8' }))
  await expect(rows(panel)).toHaveCount(6)
  await rows(panel).filter({ hasText: 'order.created' }).last().click()
  await expect(panel.getByTestId('detail-deliveries')).toContainText('payment (order.created)')
  await expect(panel.getByTestId('detail-no-timing')).toHaveCount(0)

  // the first order.created: chain links to order.paid and back
  await rows(panel).filter({ hasText: 'order.created' }).first().click()
  await expect(panel.getByTestId('detail-chain')).toContainText('corr-7')
  await detail.getByTestId('chain-link').filter({ hasText: 'order.paid' }).first().click()
  await expect(panel.getByTestId('detail-type')).toHaveText('order.paid')
  await detail.getByTestId('chain-parent').click()
  await expect(panel.getByTestId('detail-type')).toHaveText('order.created')

  // TIDINGS_SCREENSHOT=1 refreshes the README's screenshot (docs/panel.png) from this state
  if (process.env['TIDINGS_SCREENSHOT']) {
    await panel.setViewportSize({ width: 1280, height: 720 })
    await page.evaluate(async () => {
      const f = window.fixture
      for (let i = 0; i < 24; i++) {
        f.publish(['cart.item.added', 'search.query', 'page.view', 'user.profile.saved'][i % 4]!, { i, sku: `SKU-${100 + i}`, q: i % 4 === 1 ? 'red shoes' : undefined })
        if (i % 6 === 0) f.publish('order.created', { orderId: 100 + i, total: 42.5 + i, items: [{ sku: 'A1', qty: 2 }] }, { correlationId: `checkout-${i}` })
        await new Promise((r) => setTimeout(r, 40))
      }
    })
    await expect(rows(panel).filter({ hasText: 'order.created' }).nth(3)).toBeVisible()
    await rows(panel).filter({ hasText: 'order.created' }).nth(3).click()
    await panel.screenshot({ path: new URL('../../docs/panel.png', import.meta.url).pathname })
  }
  await page.close()
  await panel.close()
})

test('subscriptions table updates live when the page subscribes and unsubscribes', async () => {
  const { page, panel } = await fixtureWithPanel(suite.ext.context)
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 })
  await panel.getByTestId('tab-subscriptions').click()
  const subRows = panel.getByTestId('sub-row')
  // panel-listener, payment, and the tabs bridge's own subscription
  const expected = await page.evaluate(() => window.fixture.bus.subscriptions().map((s) => s.id))
  expect(expected.length).toBeGreaterThanOrEqual(2)
  await expect(subRows).toHaveCount(expected.length)
  expect(await subRows.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).toEqual(expected)
  await expect(panel.getByTestId('subs-table')).toContainText('panel-listener')
  await expect(subRows.filter({ hasText: 'payment' })).toContainText('order.created')
  await page.evaluate(() => window.fixture.subscribe('inventory.**', 'inventory-watcher'))
  await expect(subRows).toHaveCount(expected.length + 1)
  const row = subRows.filter({ hasText: 'inventory-watcher' })
  await expect(row).toContainText('inventory.**')
  await expect(row.getByTestId('sub-received')).toHaveText('0')
  await page.evaluate(() => {
    window.fixture.publish('inventory.low', { sku: 'A1' })
    window.fixture.publish('inventory.item.gone', { sku: 'B2' })
  })
  // counters come with the periodic snapshot (1 s)
  await expect(row.getByTestId('sub-received')).toHaveText('2', { timeout: 10_000 })
  await page.evaluate(() => window.fixture.unsubscribe('inventory-watcher'))
  await expect(subRows).toHaveCount(expected.length)
  await expect(panel.getByTestId('subs-table')).not.toContainText('inventory-watcher')

  await panel.getByTestId('tab-contexts').click()
  await expect(panel.getByTestId('context-row')).toHaveCount(1)
  await expect(panel.getByTestId('context-row')).toContainText('this page')
  await panel.getByTestId('tab-throughput').click()
  await expect(panel.getByTestId('throughput')).toContainText('inventory.low')
  await page.close()
  await panel.close()
})

test('publish and replay from the panel: the page reacts', async () => {
  const { page, panel } = await fixtureWithPanel(suite.ext.context)
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 })
  await panel.getByTestId('tab-publish').click()
  await panel.getByTestId('publish-type').fill('panel.hello')
  await panel.getByTestId('publish-data').fill('{"greeting":"from the panel","n":1}')
  await panel.getByTestId('publish-submit').click()
  await expect(panel.getByTestId('publish-result')).toContainText('Published')
  await expect(page.locator('#reacted')).toHaveText('[{"greeting":"from the panel","n":1}]')

  // invalid topic: a typed error comes back, nothing published
  await panel.getByTestId('publish-type').fill('panel.bad topic')
  await panel.getByTestId('publish-submit').click()
  await expect(panel.getByTestId('publish-result')).toContainText('InvalidTopicError')
  expect(await page.evaluate(() => window.fixture.reacted.length)).toBe(1)

  // replay the event from the log
  await panel.getByTestId('tab-log').click()
  await rows(panel).filter({ hasText: 'panel.hello' }).first().click()
  await panel.getByTestId('replay').click()
  await expect(panel.getByTestId('replay-result')).toContainText('Replayed as')
  await expect(page.locator('#reacted')).toHaveText('[{"greeting":"from the panel","n":1},{"greeting":"from the panel","n":1}]')
  await expect(rows(panel).filter({ hasText: 'panel.hello' })).toHaveCount(2)
  await page.close()
  await panel.close()
})

test('pause stops the stream and counts what the page skipped; resume brings it back', async () => {
  const { page, panel } = await fixtureWithPanel(suite.ext.context)
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 })
  await panel.getByTestId('pause').click()
  await expect(panel.getByTestId('pause')).toHaveText('Resume')
  await page.evaluate(() => {
    for (let i = 0; i < 5; i++) window.fixture.publish('paused.event', i)
  })
  await panel.getByTestId('pause').click()
  await expect(panel.getByTestId('pause')).toHaveText('Pause')
  await page.evaluate(() => window.fixture.publish('after.resume', 1))
  await expect(rows(panel)).toHaveCount(1, { timeout: 10_000 })
  expect(await rowTypes(panel)).toEqual(['after.resume'])
  await expect(panel.getByTestId('counts')).toContainText('5 sampled out')
  await page.close()
  await panel.close()
})

test('the panel recovers when Chrome stops the background service worker', async () => {
  const { page, panel } = await fixtureWithPanel(suite.ext.context)
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 })
  await page.evaluate(() => window.fixture.publish('before.restart', 1))
  await expect(rows(panel)).toHaveCount(1, { timeout: 10_000 })
  const sessions = await page.evaluate(() => window.fixture.agent.stats().sessions)
  // stop the extension's worker the way Chrome does when it idles: every port drops
  const cdp = await suite.ext.context.newCDPSession(panel)
  await cdp.send('ServiceWorker.enable')
  await cdp.send('ServiceWorker.stopAllWorkers')
  // the panel reconnects (waking the worker), which asks the content script for a fresh session
  await expect.poll(() => page.evaluate(() => window.fixture.agent.stats().sessions), { timeout: 20_000 }).toBeGreaterThan(sessions)
  await expect
    .poll(
      async () => {
        await page.evaluate(() => window.fixture.publish('after.restart', 2))
        return (await rowTypes(panel)).includes('after.restart')
      },
      { timeout: 20_000, intervals: [500] },
    )
    .toBe(true)
  expect((await rowTypes(panel))[0]).toBe('before.restart')
  await cdp.detach()
  await page.close()
  await panel.close()
})

test('events from another tab arrive through the tabs bridge, labelled by context', async () => {
  const channel = `dt-${Date.now()}`
  const { page, panel } = await fixtureWithPanel(suite.ext.context, `/devtools/index.html?channel=${channel}`)
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 })
  const other = await suite.ext.context.newPage()
  await other.goto(`${suite.fixtures.url}/devtools/index.html?channel=${channel}`)
  await other.waitForFunction(() => 'fixture' in window)
  await page.evaluate(() => window.fixture.tabsReady())
  await other.evaluate(() => window.fixture.tabsReady())
  const otherOrigin = await other.evaluate(() => window.fixture.bus.origin)
  const ownOrigin = await page.evaluate(() => window.fixture.bus.origin)
  await other.evaluate(() => window.fixture.publish('shared.note', { from: 'other tab' }))
  await page.evaluate(() => window.fixture.publish('shared.mine', { from: 'this tab' }))
  await expect(rows(panel)).toHaveCount(2, { timeout: 15_000 })
  const ctx = await rows(panel).evaluateAll((els) => els.map((e) => [e.getAttribute('data-type'), e.querySelector('.c-ctx')?.getAttribute('title'), e.querySelector('.c-ctx')?.textContent]))
  expect(ctx).toEqual([
    ['shared.note', otherOrigin, `tabs · ${otherOrigin.length > 14 ? otherOrigin.slice(0, 13) + '…' : otherOrigin}`],
    ['shared.mine', ownOrigin, ownOrigin.length > 14 ? ownOrigin.slice(0, 13) + '…' : ownOrigin],
  ])
  await rows(panel).filter({ hasText: 'shared.note' }).click()
  await expect(panel.getByTestId('event-detail')).toContainText(`bridged by tabs from ${otherOrigin}`)
  // the detail lists the bridges an event crossed: shared.note came in over tabs, shared.mine went out
  await expect.poll(() => hops(panel)).toEqual([['tabs', 'in']])
  await rows(panel).filter({ hasText: 'shared.mine' }).click()
  await expect.poll(() => hops(panel), { timeout: 10_000 }).toEqual([['tabs', 'out']])

  // Export (the real download), Clear, Import the file: the hops are still there
  const logged = await panel.evaluate(() => (globalThis as unknown as { tidingsPanel: { store: { events: unknown[] } } }).tidingsPanel.store.events.length)
  expect(logged).toBeGreaterThanOrEqual(2)
  const [download] = await Promise.all([panel.waitForEvent('download'), panel.getByTestId('export').click()])
  const exported = await download.path()
  await panel.getByTestId('clear').click()
  await expect(rows(panel)).toHaveCount(0)
  await panel.getByTestId('import').setInputFiles(exported)
  // every event of the log comes back: the two shared ones plus core's $tidings.* system events
  await expect(panel.getByTestId('note')).toContainText(`Imported ${logged} events`)
  await expect(rows(panel)).toHaveCount(2)
  await rows(panel).filter({ hasText: 'shared.note' }).click()
  await expect.poll(() => hops(panel)).toEqual([['tabs', 'in']])
  await rows(panel).filter({ hasText: 'shared.mine' }).click()
  await expect.poll(() => hops(panel)).toEqual([['tabs', 'out']])
  await panel.getByTestId('tab-contexts').click()
  const ctxRows = panel.getByTestId('context-row')
  await expect(ctxRows).toHaveCount(2, { timeout: 10_000 })
  await expect(ctxRows.filter({ hasText: otherOrigin })).toContainText('other tab')
  await expect(ctxRows.filter({ hasText: ownOrigin })).toContainText('this page')
  await other.close()
  await page.close()
  await panel.close()
})

test('a page without the agent shows a helpful empty state', async () => {
  const { page, panel } = await fixtureWithPanel(suite.ext.context, '/devtools/no-agent.html')
  const empty = panel.getByTestId('empty-state')
  await expect(empty).toHaveAttribute('data-reason', 'no-agent', { timeout: 15_000 })
  await expect(empty).toContainText('No Tidings bus on this page')
  await expect(empty).toContainText('connectDevtools(bus')
  await expect(rows(panel)).toHaveCount(0)
  await page.close()
  await panel.close()
})

test('a page posting forged protocol messages cannot drive the panel', async () => {
  const { page, panel } = await fixtureWithPanel(suite.ext.context, '/devtools/forged.html')
  await expect(panel.getByTestId('connection')).toHaveText('real-agent', { timeout: 15_000 })
  await page.evaluate(() => window.forger.publish('real.before', 1))
  await expect(rows(panel)).toHaveCount(1, { timeout: 10_000 })

  await page.evaluate(() => {
    for (let i = 0; i < 5; i++) window.forger.forge(i)
  })
  // the hardest forgery: a hello with a nonce the page chose; the content script takes the
  // session back (it sees a hello it did not send) and events keep flowing under its nonce
  await page.evaluate(() => window.forger.hijack())
  await page.waitForTimeout(300)
  await page.evaluate(() => {
    window.postMessage(
      { tag: 'tidings.devtools', v: 1, kind: 'batch', nonce: 'page-chosen-nonce', at: Date.now(), skipped: 0, items: '[]' },
      '*',
    )
  })
  await expect
    .poll(async () => {
      await page.evaluate(() => window.forger.publish('real.after', 2))
      return (await rowTypes(panel)).includes('real.after')
    }, { timeout: 15_000, intervals: [500] })
    .toBe(true)
  const types = await rowTypes(panel)
  expect(types.filter((t) => t !== 'real.before' && t !== 'real.after')).toEqual([])
  expect(types[0]).toBe('real.before')
  await expect(panel.getByTestId('connection')).toHaveText('real-agent')
  expect(await panel.content()).not.toContain('FAKE-AGENT')
  // forged commands did not publish on the page's bus
  expect(await page.evaluate(() => window.forger.heard.filter((t) => t.startsWith('forged')))).toEqual([])
  // the content script counted what it rejected and the panel shows it
  await expect(panel.getByTestId('counts')).toContainText('page messages rejected', { timeout: 10_000 })
  await page.close()
  await panel.close()
})

test('the log stays virtualized with 100k events', async () => {
  const { page, panel } = await fixtureWithPanel(suite.ext.context)
  await expect(panel.getByTestId('connection')).toHaveAttribute('data-state', 'connected', { timeout: 15_000 })
  await panel.evaluate(() => {
    const store = (globalThis as unknown as { tidingsPanel: { store: { applyBatch(b: unknown): void; clear(): void } } }).tidingsPanel.store
    // start empty: the page's own start-up events (recorded before the panel opened) would push
    // the log past its 100k bound
    store.clear()
    const t0 = Date.now()
    for (let b = 0; b < 100; b++) {
      const items = []
      for (let i = 0; i < 1000; i++) {
        const n = b * 1000 + i
        items.push({
          kind: 'publish',
          at: t0 + n,
          event: { id: `bulk:${n}`, type: `bulk.t${n % 7}`, timestamp: t0 + n, version: 1, data: { n }, origin: 'bulk', seq: n },
          ctx: { origin: 'bulk' },
          receipt: { id: `bulk:${n}`, matched: 0, delivered: 0, queued: 0, dropped: 0, rejected: 0 },
        })
      }
      store.applyBatch({ items, skipped: 0 })
    }
  })
  await expect(panel.getByTestId('counts')).toContainText('100000/100000 events')
  const domRows = await rows(panel).count()
  expect(domRows).toBeGreaterThan(5)
  expect(domRows).toBeLessThan(200)
  // following the tail: the last event is rendered
  await expect(panel.locator('[data-id="bulk:99999"]')).toHaveCount(1)
  // scroll to the middle (rows are 26 px): rows there are rendered, the tail is not
  await panel.getByTestId('event-log').evaluate((el) => (el.scrollTop = 26 * 50_000))
  await expect(panel.locator('[data-id="bulk:50000"]')).toHaveCount(1)
  await expect(panel.locator('[data-id="bulk:99999"]')).toHaveCount(0)
  // filtering 100k by pattern
  await panel.getByTestId('filter').fill('bulk.t3')
  await expect(panel.getByTestId('counts')).toContainText('14286/100000 events')
  await page.close()
  await panel.close()
})

declare global {
  interface Window {
    fixture: import('../fixtures/devtools/main.ts').Fixture
    forger: {
      forge(round: number): void
      hijack(): void
      publish(type: string, data?: unknown): string
      heard: string[]
    }
  }
}
