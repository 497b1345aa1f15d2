// Drives the real Chrome DevTools once: DevTools opens for every tab
// (--auto-open-devtools-for-tabs), the extension's devtools page creates the "Tidings" panel, we
// show it over raw CDP (DevToolsAPI.showPanel in the devtools:// target) and check that the panel
// connected to the inspected tab and renders the page's events.
import { expect, test } from '@playwright/test'
import { Cdp } from '../cdp.ts'
import { EXTENSION_ID, devtoolsActivePort, launchWithExtension, startFixtureServer } from '../extension.ts'

test.setTimeout(180_000)

test('the real DevTools "Tidings" panel inspects the page', async () => {
  const fixtures = await startFixtureServer()
  const ext = await launchWithExtension({ name: 'devtools-real', extraArgs: ['--auto-open-devtools-for-tabs', '--remote-debugging-port=0'] })
  const cdp = await (async () => {
    const { port, browserPath } = devtoolsActivePort(ext.profileDir)
    return Cdp.connect(`ws://127.0.0.1:${port}${browserPath}`)
  })()
  try {
    const page = await ext.context.newPage()
    await page.goto(fixtures.url + '/devtools/index.html')
    await page.waitForFunction(() => 'fixture' in window)
    expect(await page.evaluate(() => (window as unknown as { fixture: { connected(): boolean } }).fixture.connected())).toBe(false)

    // every DevTools window (one per tab) is a devtools:// page target; show our panel in each
    const panelId = `chrome-extension://${EXTENSION_ID}Tidings`
    await expect
      .poll(
        async () => {
          const tools = (await cdp.targets()).filter((t) => t.url.startsWith('devtools://'))
          let shown = 0
          for (const t of tools) {
            const s = await cdp.attach(t.targetId)
            // The panel exists once the extension's devtools page ran; showPanel is DevTools' own API.
            const ok = await cdp
              .evaluate<boolean>(s, `(async () => { if (typeof DevToolsAPI === 'undefined') return false; await DevToolsAPI.showPanel(${JSON.stringify(panelId)}); return true })()`)
              .catch(() => false)
            if (ok) shown++
          }
          return shown > 0 && (await page.evaluate(() => (window as unknown as { fixture: { connected(): boolean } }).fixture.connected()))
        },
        { timeout: 60_000, intervals: [1000] },
      )
      .toBe(true)

    // the panel frame is an extension target inside DevTools; its store holds the page's events
    // (read from the store, not the DOM: a DevTools window laid out headless may give the
    // virtualized log no height, and then no rows are rendered)
    let last: unknown
    const found = expect
      .poll(
        async () => {
          await page.evaluate(() => (window as unknown as { fixture: { publish(t: string, d: unknown): string } }).fixture.publish('real.devtools.hello', { from: 'page' }))
          await new Promise((r) => setTimeout(r, 300))
          const frames = (await cdp.targets()).filter((t) => t.url.startsWith(`chrome-extension://${EXTENSION_ID}/panel.html`))
          const states: { inDevtools: boolean; types: string[]; conn: string | null }[] = []
          for (const f of frames) {
            const s = await cdp.attach(f.targetId)
            states.push(
              await cdp.evaluate(
                s,
                `({ inDevtools: !!(globalThis.chrome && chrome.devtools && chrome.devtools.inspectedWindow),
                    types: [...new Set(globalThis.tidingsPanel.store.events.map((e) => e.event.type))],
                    conn: document.querySelector('[data-testid=connection]')?.textContent ?? null })`,
              ),
            )
          }
          last = states
          return states.find((x) => x.types.includes('real.devtools.hello'))
        },
        { timeout: 60_000, intervals: [1000] },
      )
      .toEqual({ inDevtools: true, types: ['real.devtools.hello'], conn: 'devtools-fixture' })
    await found.catch((err: Error) => {
      throw new Error(`${err.message}\nlast state of the panel frames: ${JSON.stringify(last)}`)
    })
  } finally {
    cdp.close()
    await ext.close()
    await fixtures.close()
  }
})
