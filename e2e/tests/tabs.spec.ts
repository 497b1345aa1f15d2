// @tidings/tabs across real pages of one browser context (same origin, so they share
// BroadcastChannel, Web Locks and IndexedDB like the tabs of a user's browser).
import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { FIXTURES_URL } from '../playwright.config.ts'
import type { ReceivedSummary } from '../fixtures/tabs/api.ts'

test.describe.configure({ timeout: 90_000 })

// Nothing a tab receives may ever throw into the page.
const pageErrors: string[] = []
test.afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([])
})

let channelCount = 0
const uniqueChannel = () => `e2e-${Date.now().toString(36)}-${channelCount++}`

async function openTab(context: BrowserContext, name: string, channel: string, extra = ''): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`))
  await page.goto(`${FIXTURES_URL}/tabs/index.html?name=${name}&channel=${channel}${extra}`)
  await page.waitForFunction(() => window.tabsFixture !== undefined, undefined, { timeout: 30_000 })
  await page.evaluate(() => window.tabsFixture.ready)
  return page
}

async function openTabs(context: BrowserContext, names: string[], channel: string, extra = ''): Promise<Page[]> {
  const pages: Page[] = []
  for (const n of names) pages.push(await openTab(context, n, channel, extra))
  // Everyone sees everyone before anything is published.
  for (const p of pages) {
    await expect.poll(() => p.evaluate(() => window.tabsFixture.peerNames().length), { timeout: 15_000 }).toBe(names.length - 1)
  }
  return pages
}

const summary = (p: Page): Promise<ReceivedSummary> => p.evaluate(() => window.tabsFixture.summary())
const stats = (p: Page) => p.evaluate(() => window.tabsFixture.stats())
const origin = (p: Page) => p.evaluate(() => window.tabsFixture.origin)
const names = (list: Page[]): Promise<string[]> => Promise.all(list.map((p) => p.evaluate(() => window.tabsFixture.name)))
async function leaders(list: Page[]): Promise<Page[]> {
  const flags = await Promise.all(list.map((p) => p.evaluate(() => window.tabsFixture.isLeader())))
  return list.filter((_, i) => flags[i])
}

test('shared events go both ways between three tabs, with no duplicates and nothing unshared', async ({ context }) => {
  const ch = uniqueChannel()
  const [a, b, c] = await openTabs(context, ['A', 'B', 'C'], ch)
  const origins = { A: await origin(a!), B: await origin(b!), C: await origin(c!) }
  await a!.evaluate(() => window.tabsFixture.publishMany('chat.fromA', 100))
  await b!.evaluate(() => window.tabsFixture.publishMany('chat.fromB', 100))
  await c!.evaluate(() => {
    window.tabsFixture.publish('chat.private', { n: 0 }, true) // local
    window.tabsFixture.publish('other.topic', { n: 0 }) // not shared
    window.tabsFixture.publishMany('chat.fromC', 50)
  })
  for (const [page, expected] of [
    [a!, 150],
    [b!, 150],
    [c!, 200],
  ] as const) {
    await expect.poll(() => summary(page).then((s) => s.count), { timeout: 15_000 }).toBe(expected)
  }
  await a!.waitForTimeout(300)
  const sa = await summary(a!)
  const sb = await summary(b!)
  const sc = await summary(c!)
  expect(sa.count).toBe(150)
  expect(sa.unique).toBe(150)
  expect(sa.types.sort()).toEqual(['chat.fromB', 'chat.fromC'])
  expect(sa.byOrigin[origins.B]).toEqual({ count: 100, inOrder: true, firstN: 0, lastN: 99 })
  expect(sa.byOrigin[origins.C]).toEqual({ count: 50, inOrder: true, firstN: 0, lastN: 49 })
  expect(sb.types.sort()).toEqual(['chat.fromA', 'chat.fromC'])
  expect(sb.unique).toBe(150)
  expect(sc.types.sort()).toEqual(['chat.fromA', 'chat.fromB'])
  expect(sc.unique).toBe(200)
  for (const p of [a!, b!, c!]) expect(await stats(p)).toMatchObject({ duplicates: 0, echoes: 0, malformed: 0, gaps: 0 })
})

test('order is kept under 10k events, in two receiving tabs', async ({ context }) => {
  const ch = uniqueChannel()
  const [a, b, c] = await openTabs(context, ['A', 'B', 'C'], ch)
  const oa = await origin(a!)
  // Several tasks of 2500 events each, so several batches travel.
  for (let i = 0; i < 4; i++)
    await a!.evaluate(
      (start) => {
        for (let n = start; n < start + 2500; n++) window.tabsFixture.publish('load.tick', { n })
      },
      i * 2500,
    )
  for (const p of [b!, c!]) {
    await expect.poll(() => summary(p).then((s) => s.count), { timeout: 30_000 }).toBe(10_000)
    const s = await summary(p)
    expect(s.unique).toBe(10_000)
    expect(s.byOrigin[oa]).toEqual({ count: 10_000, inOrder: true, firstN: 0, lastN: 9999 })
    expect(await stats(p)).toMatchObject({ received: 10_000, duplicates: 0, outOfOrder: 0, gaps: 0 })
  }
  expect((await stats(a!)).sent).toBe(10_000)
})

test('the leader hands over when its tab closes or abdicates; never two leaders', async ({ context }) => {
  const ch = uniqueChannel()
  const pages = await openTabs(context, ['A', 'B', 'C', 'D'], ch)
  let open = [...pages]
  await expect.poll(async () => names(await leaders(open)), { timeout: 15_000 }).toEqual(['A']) // the first tab asked first

  for (let round = 0; round < 3; round++) {
    const [leader] = await leaders(open)
    await leader!.close()
    open = open.filter((p) => p !== leader)
    await expect.poll(async () => (await leaders(open)).length, { timeout: 15_000 }).toBe(1)
    expect((await leaders(open)).length).toBe(1)
  }
  expect(open.length).toBe(1)
  expect(await open[0]!.evaluate(() => window.tabsFixture.isLeader())).toBe(true)

  // Abdicate between two tabs hands over and back.
  const e = await openTab(context, 'E', ch)
  const [last] = open
  await last!.evaluate(() => window.tabsFixture.abdicate())
  await expect.poll(() => e.evaluate(() => window.tabsFixture.isLeader()), { timeout: 15_000 }).toBe(true)
  expect(await last!.evaluate(() => window.tabsFixture.isLeader())).toBe(false)
  expect(await e.evaluate(() => window.tabsFixture.leaderChanges())).toEqual([false, true])
})

test('shared state converges under concurrent writes and a late joiner gets it', async ({ context }) => {
  const ch = uniqueChannel()
  const pages = await openTabs(context, ['A', 'B', 'C'], ch)
  await Promise.all(
    pages.map((p, i) =>
      p.evaluate(async (tab) => {
        for (let k = 0; k < 200; k++) {
          window.tabsFixture.stateSet({ v: k, tab })
          if (k % 10 === 0) await new Promise((r) => setTimeout(r, 0))
        }
      }, i),
    ),
  )
  const values = () => Promise.all(pages.map((p) => p.evaluate(() => JSON.stringify(window.tabsFixture.stateGet()))))
  await expect.poll(async () => new Set(await values()).size, { timeout: 15_000 }).toBe(1)
  const [winner] = await values()
  expect(JSON.parse(winner!)).toMatchObject({ v: 199 })

  const late = await openTab(context, 'Late', ch)
  expect(JSON.stringify(await late.evaluate(() => window.tabsFixture.stateReady()))).toBe(winner)
  expect((await late.evaluate(() => window.tabsFixture.stateStats())).readyFrom).toBe('peer')

  // The late joiner writes; all four agree again.
  await late.evaluate(() => window.tabsFixture.stateSet({ v: 'late' }))
  for (const p of pages) await expect.poll(() => p.evaluate(() => JSON.stringify(window.tabsFixture.stateGet()))).toBe('{"v":"late"}')
})

test('with persist, a tab opened after every tab closed gets the state from IndexedDB', async ({ context }) => {
  const ch = uniqueChannel()
  const extra = `&persist=1&db=${ch}`
  const [a, b] = await openTabs(context, ['A', 'B'], ch, extra)
  await a!.evaluate(() => window.tabsFixture.stateSet({ v: 'saved' }))
  await expect.poll(() => b!.evaluate(() => JSON.stringify(window.tabsFixture.stateGet()))).toBe('{"v":"saved"}')
  await a!.evaluate(() => window.tabsFixture.stateFlush())
  await b!.evaluate(() => window.tabsFixture.stateFlush())
  await a!.close()
  await b!.close()
  const c = await openTab(context, 'C', ch, extra)
  expect(await c.evaluate(() => window.tabsFixture.stateReady())).toEqual({ v: 'saved' })
  expect((await c.evaluate(() => window.tabsFixture.stateStats())).readyFrom).toBe('storage')
})

test('shared state: a stamp with a counter of 2^53 - 1 is refused in every tab, and the tabs keep converging', async ({ context }) => {
  const ch = uniqueChannel()
  const [a, b] = await openTabs(context, ['A', 'B'], ch)
  await a!.evaluate(() => window.tabsFixture.stateSet({ v: 'before' }))
  await expect.poll(() => b!.evaluate(() => JSON.stringify(window.tabsFixture.stateGet()))).toBe('{"v":"before"}')
  await b!.evaluate((name) => {
    const stamp = { t: Date.now() + 3600_000, c: Number.MAX_SAFE_INTEGER, o: 'mallory' }
    window.tabsFixture.postRaw(name, { tag: 'tidings.state', v: 1, kind: 'value', from: 'mallory', stamp, value: { v: 'poison' } })
  }, `tidings.state:tidings:counter-${ch}`)
  for (const p of [a!, b!]) await expect.poll(() => p.evaluate(() => window.tabsFixture.stateStats().refusedStamps)).toBe(1)
  for (const p of [a!, b!]) expect(await p.evaluate(() => window.tabsFixture.stateGet())).toEqual({ v: 'before' })
  await a!.evaluate(() => window.tabsFixture.stateSet({ v: 'after A' }))
  await expect.poll(() => b!.evaluate(() => JSON.stringify(window.tabsFixture.stateGet()))).toBe('{"v":"after A"}')
  await b!.evaluate(() => window.tabsFixture.stateSet({ v: 'after B' }))
  await expect.poll(() => a!.evaluate(() => JSON.stringify(window.tabsFixture.stateGet()))).toBe('{"v":"after B"}')
  for (const p of [a!, b!]) expect(await p.evaluate(() => window.tabsFixture.stateStats().malformed)).toBe(0)
})

/** What a shared value holds, in terms that survive page.evaluate. */
const look = () => {
  const v = window.tabsFixture.stateGet() as Record<string, unknown>
  const byId = v['byId']
  return { map: byId instanceof Map ? [...byId] : String(byId), date: v['at'] instanceof Date ? v['at'].getTime() : String(v['at']), big: `${typeof v['big']} ${String(v['big'])}`, cycle: v['self'] === v }
}

test('shared state with a key: a Map, a Date, a BigInt and a cycle arrive as set; a function throws naming the path', async ({ context }) => {
  const ch = uniqueChannel()
  const [a, b] = await openTabs(context, ['A', 'B'], ch, '&stateKey=a%20state%20secret%20of%20length')
  await a!.evaluate(() => {
    const v: Record<string, unknown> = { byId: new Map([['u1', 1]]), at: new Date(0), big: 10n ** 20n }
    v['self'] = v
    window.tabsFixture.stateSet(v)
  })
  await expect.poll(() => b!.evaluate(() => window.tabsFixture.stateGet() !== null && 'byId' in (window.tabsFixture.stateGet() as object))).toBe(true)
  const expected = { map: [['u1', 1]], date: 0, big: 'bigint 100000000000000000000', cycle: true }
  expect(await b!.evaluate(look)).toEqual(expected)
  expect(await a!.evaluate(look)).toEqual(expected)
  const thrown = await a!.evaluate(() => {
    try {
      window.tabsFixture.stateSet({ cb: () => 1 })
      return 'did not throw'
    } catch (err) {
      return `${(err as Error).name} ${(err as { path: string }).path}`
    }
  })
  expect(thrown).toBe(`UnencodableValueError sharedState("counter-${ch}").value.cb`)
  expect(await b!.evaluate(look)).toEqual(expected)
  expect(await a!.evaluate(() => window.tabsFixture.stateStats().sets)).toBe(1)
})

test('malformed messages posted raw on the channel are counted and ignored', async ({ context }) => {
  const ch = uniqueChannel()
  const [a, b] = await openTabs(context, ['A', 'B'], ch)
  const attacker = await context.newPage()
  await attacker.goto(`${FIXTURES_URL}/tabs/index.html?name=X&channel=other-${ch}`)
  await attacker.waitForFunction(() => window.tabsFixture !== undefined)
  const garbage = await attacker.evaluate((name) => {
    // A well-formed columnar batch of one event, then broken variants of it.
    const cols = { n: 1, ev: 1, so: ['x'], si: ['i'], sx: [0], s: [1], p: [-1], tt: ['chat.evil'], tx: [0], ts: [1], d: ['evil'] }
    const one = { tag: 'tidings.tabs', v: 1, kind: 'batch', from: 'x', batch: cols }
    const broken = (c: Record<string, unknown>) => ({ ...one, batch: { ...cols, ...c } })
    const list: unknown[] = [
      'garbage',
      12345,
      null,
      [1, 2],
      { tag: 'tidings.tabs', v: 1, kind: 'batch', from: 'x' },
      { ...one, v: 7 }, // protocol version
      broken({ ev: 3 }), // envelope version
      broken({ tt: ['chat.**'] }), // wildcard in a published topic
      broken({ tt: ['a..b'] }), // empty segment
      broken({ s: ['one'] }), // seq not a number
      broken({ sx: [9] }), // no such session
      broken({ n: 2 }), // columns shorter than n
    ]
    for (const g of list) window.tabsFixture.postRaw(name, g)
    return list.length
  }, `tidings.tabs:${ch}`)
  for (const p of [a!, b!]) await expect.poll(() => stats(p).then((s) => s.malformed)).toBe(garbage)
  // Both tabs still talk to each other and got nothing from the attacker.
  await a!.evaluate(() => window.tabsFixture.publishMany('chat.after', 3))
  await expect.poll(() => b!.evaluate(() => window.tabsFixture.dataOf('chat.after').length)).toBe(3)
  expect((await summary(b!)).types).toEqual(['chat.after'])
  expect((await summary(a!)).count).toBe(0)
})

test('with a key, unsigned and forged messages are dropped and counted', async ({ context }) => {
  const ch = uniqueChannel()
  const extra = '&key=' + encodeURIComponent('e2e shared secret 0123456789')
  const [a, b] = await openTabs(context, ['A', 'B'], ch, extra)
  // Capture one genuine signed batch from the wire to tamper with.
  const captured = b!.evaluate(
    (name) =>
      new Promise<{ body: string; sig: number[] }>((resolve) => {
        const bc = new BroadcastChannel(name)
        bc.addEventListener('message', (m) => {
          const d = m.data as { kind?: string; body?: string; sig?: Uint8Array }
          if (d.kind === 'signed' && d.body?.includes('"batch"')) {
            bc.close()
            resolve({ body: d.body, sig: [...d.sig!] })
          }
        })
      }),
    `tidings.tabs:${ch}`,
  )
  await b!.waitForTimeout(100)
  await a!.evaluate(() => window.tabsFixture.publishMany('chat.signed', 5))
  const real = await captured
  await expect.poll(() => b!.evaluate(() => window.tabsFixture.dataOf('chat.signed').length)).toBe(5)
  const before = await stats(b!)

  await a!.evaluate(
    ({ name, genuine }) => {
      const batch = { n: 1, ev: 1, so: ['m'], si: ['i'], sx: [0], s: [1], p: [-1], tt: ['chat.signed'], tx: [0], ts: [1], d: [{ n: 'evil' }] }
      const evil = { tag: 'tidings.tabs', v: 1, kind: 'batch', from: 'm', batch }
      window.tabsFixture.postRaw(name, evil) // unsigned
      window.tabsFixture.postRaw(name, { tag: 'tidings.tabs', v: 1, kind: 'signed', body: genuine.body.replace('"chat.signed"', '"chat.forged"'), sig: new Uint8Array(genuine.sig) })
      window.tabsFixture.postRaw(name, { tag: 'tidings.tabs', v: 1, kind: 'signed', body: JSON.stringify(evil), sig: new Uint8Array(32).fill(7) })
    },
    { name: `tidings.tabs:${ch}`, genuine: real },
  )
  await expect.poll(() => stats(b!).then((s) => s.forged - before.forged)).toBe(2)
  const after = await stats(b!)
  expect(after.unsigned - before.unsigned).toBe(1)
  expect(after.received).toBe(before.received)
  expect(await b!.evaluate(() => window.tabsFixture.dataOf('chat.signed'))).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })))
})
