// Drives the real Chrome DevTools once: DevTools opens for every tab
// (--auto-open-devtools-for-tabs), the extension's devtools page creates the "Tidings" panel, we
// show it over raw CDP (DevToolsAPI.showPanel in the devtools:// target) and check that the panel
// connected to the inspected tab and renders the page's events: the ones the page published before
// the panel was shown (recorded by the agent, marked) and live ones; clicking a call-site frame
// opens the file in the Sources panel (chrome.devtools.panels.openResource answers).
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
    // ?boot=1: the page publishes app.boot right after connectDevtools, long before the panel shows
    await page.goto(fixtures.url + '/devtools/index.html?boot=1')
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
          const states: { inDevtools: boolean; types: string[]; recorded: string[]; conn: string | null }[] = []
          for (const f of frames) {
            const s = await cdp.attach(f.targetId)
            states.push(
              await cdp.evaluate(
                s,
                `({ inDevtools: !!(globalThis.chrome && chrome.devtools && chrome.devtools.inspectedWindow),
                    types: [...new Set(globalThis.tidingsPanel.store.events.filter((e) => !e.recorded).map((e) => e.event.type))],
                    recorded: globalThis.tidingsPanel.store.events.filter((e) => e.recorded && !e.event.type.startsWith('$')).map((e) => e.event.type),
                    conn: document.querySelector('[data-testid=connection]')?.textContent ?? null })`,
              ),
            )
          }
          last = states
          return states.find((x) => x.types.includes('real.devtools.hello'))
        },
        { timeout: 60_000, intervals: [1000] },
      )
      .toEqual({ inDevtools: true, types: ['real.devtools.hello'], recorded: ['app.boot', 'app.config.loaded'], conn: 'devtools-fixture' })
    await found.catch((err: Error) => {
      throw new Error(`${err.message}\nlast state of the panel frames: ${JSON.stringify(last)}`)
    })

    // call site -> Sources: open the traced event's detail and click its first frame. The panel
    // says "Opened <file>:<line> in Sources." when openResource's callback runs. A DevTools
    // window laid out headless renders no virtualized rows (the log gets no height), so the
    // event is opened with the log's keyboard navigation, which works on its data.
    await page.evaluate(() => (window as unknown as { fixture: { checkout(n: number): string } }).fixture.checkout(7))
    // the panel frame of the DevTools window that inspects `page` (one per tab: pick the one with its events)
    let ps: string | undefined
    for (const f of (await cdp.targets()).filter((t) => t.url.startsWith(`chrome-extension://${EXTENSION_ID}/panel.html`))) {
      const sid = await cdp.attach(f.targetId)
      if (await cdp.evaluate<boolean>(sid, `globalThis.tidingsPanel.store.events.length > 0`)) ps = sid
    }
    expect(ps).toBeDefined()
    let opened: string | null = null
    await expect
      .poll(
        async () => {
          opened = await cdp.evaluate<string | null>(
            ps!,
            `(async () => {
              const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
              const filter = document.querySelector('[data-testid=filter]')
              filter.value = 'checkout.started'
              filter.dispatchEvent(new Event('input', { bubbles: true }))
              await sleep(200)
              // the keyboard path (ArrowDown, Enter) works on the log's data, rendered rows or not
              const log = document.querySelector('[data-testid=event-log]')
              if (!log) return 'no log'
              for (const key of ['ArrowDown', 'Enter']) log.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }))
              await sleep(300)
              const frame = document.querySelector('[data-testid=stack-frame]')
              if (!frame) return 'no frame'
              frame.click()
              for (let i = 0; i < 20 && !document.querySelector('[data-testid=stack-note]'); i++) await sleep(100)
              return document.querySelector('[data-testid=stack-note]')?.textContent ?? 'no answer'
            })()`,
          )
          return opened
        },
        { timeout: 30_000, intervals: [1000] },
      )
      .toMatch(/^Opened main\.ts:\d+ in Sources\.$/)
  } finally {
    cdp.close()
    await ext.close()
    await fixtures.close()
  }
})
