// @tidings/nats in real pages against a real nats-server (started here, stopped by PID): two
// browser contexts are two devices; two pages of one context are two tabs of one browser, of
// which only the leader holds the NATS connection.
import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { FIXTURES_URL } from '../playwright.config.ts'
import { NATS_USERS, startNatsServer, type NatsServerHandle } from '../../test-support/nats-server.ts'
import type { NatsFixtureApi } from '../fixtures/nats/api.ts'

test.describe.configure({ timeout: 90_000 })

let server: NatsServerHandle
test.beforeAll(async () => {
  server = await startNatsServer()
})
test.afterAll(async () => {
  await server?.stop()
})

const pageErrors: string[] = []
test.afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([])
})

async function openTab(context: BrowserContext, name: string, subject: string): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`))
  const { user, pass } = NATS_USERS.device
  await page.goto(`${FIXTURES_URL}/nats/index.html?name=${name}&subject=${subject}&ws=${encodeURIComponent(server.ws)}&user=${user}&pass=${pass}`)
  await page.waitForFunction(() => window.natsFixture !== undefined, undefined, { timeout: 30_000 })
  return page
}

const status = (p: Page) => p.evaluate(() => window.natsFixture.status())
const received = (p: Page): Promise<ReturnType<NatsFixtureApi['received']>> => p.evaluate(() => window.natsFixture.received())
const origin = (p: Page) => p.evaluate(() => window.natsFixture.origin)
const publish = (p: Page, type: string, from: number, count: number) => p.evaluate(([t, f, c]) => window.natsFixture.publish(t, f, c), [type, from, count] as const)

test('two devices share events; in one browser only the leader tab connects, and a follower takes over when it closes', async ({ browser }) => {
  // The device user may publish and subscribe under tidings.> only.
  const subject = `tidings.e2e${Date.now().toString(36)}`
  const laptop = await browser.newContext()
  const phone = await browser.newContext()
  try {
    const tab1 = await openTab(laptop, 'tab1', subject)
    await expect.poll(() => status(tab1), { timeout: 20_000 }).toBe('connected')
    const tab2 = await openTab(laptop, 'tab2', subject)
    const other = await openTab(phone, 'phone', subject)
    await expect.poll(() => status(other), { timeout: 20_000 }).toBe('connected')
    expect(await status(tab2)).toBe('standby')

    // The phone's events reach both tabs of the laptop (tab2 through tab1 and the tabs bridge).
    await publish(other, 'note.phone', 0, 20)
    const phoneOrigin = await origin(other)
    const fromPhone = Array.from({ length: 20 }, (_, i) => [phoneOrigin, i])
    await expect.poll(() => received(tab1), { timeout: 15_000 }).toEqual(fromPhone)
    await expect.poll(() => received(tab2), { timeout: 15_000 }).toEqual(fromPhone)

    // The follower's events reach the phone through the leader, with the follower's origin.
    await publish(tab2, 'note.tab2', 100, 10)
    const tab2Origin = await origin(tab2)
    await expect.poll(async () => (await received(other)).filter(([o]) => o === tab2Origin).map(([, n]) => n), { timeout: 15_000 }).toEqual(
      Array.from({ length: 10 }, (_, i) => 100 + i),
    )
    expect((await tab2.evaluate(() => window.natsFixture.stats())).sent).toBe(0)

    // The leader tab closes: tab2 takes the connection over and carries on both ways.
    await tab1.close()
    await expect.poll(() => status(tab2), { timeout: 20_000 }).toBe('connected')
    await publish(other, 'note.phone', 20, 5)
    await expect.poll(async () => (await received(tab2)).filter(([o]) => o === phoneOrigin).length, { timeout: 15_000 }).toBe(25)
    await publish(tab2, 'note.tab2', 200, 3)
    await expect.poll(async () => (await received(other)).filter(([o]) => o === tab2Origin).length, { timeout: 15_000 }).toBe(13)
  } finally {
    await laptop.close()
    await phone.close()
  }
})
