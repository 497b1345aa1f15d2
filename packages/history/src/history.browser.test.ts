// Real IndexedDB in headless Chromium: recording, batching, acks, queries, TTL, eviction,
// redaction, replay, export/import, dedupe of bridged events.
import { createBus, type TidingsEvent } from '@tidings/core'
import { firstValueFrom, take, toArray } from 'rxjs'
import { describe, expect, test } from 'vitest'
import { InvalidHistoryInputError, openHistory, REDACTED, type History } from './index.js'
import { createLegacyEventsStore, envelope, historyHarness, readRaw, uniqueDb } from './test-helpers.js'
import { bridgeHost } from '@tidings/core/bridge'

const ids = (xs: TidingsEvent[]) => xs.map((e) => e.id)
const { open, opened } = historyHarness()

describe('recording', () => {
  test('publishAsync of a persistent event resolves after its record is committed', async () => {
    const { h, dbName } = open('ack')
    const bus = createBus()
    h.attach(bus)
    const receipt = await bus.publishAsync('order.placed', { amount: 10 }, { persistent: true })
    // A separate connection (what another tab sees) already has it.
    const raw = await readRaw(dbName)
    expect(raw.map((r) => [r.id, r.type, (r.data as { amount: number }).amount])).toEqual([[receipt.id, 'order.placed', 10]])
    expect(h.stats()).toMatchObject({ written: 1, pending: 0, failed: 0 })
  })

  test('stores persistent events and record matches only', async () => {
    const { h } = open('filter', { record: ['audit.**'] })
    const bus = createBus()
    h.attach(bus)
    bus.publish('ui.click', { n: 1 })
    bus.publish('ui.click', { n: 2 }, { persistent: true })
    bus.publish('audit.login', { user: 'a' })
    bus.publish('audit.user.deleted', { user: 'b' })
    bus.publish('auditx', {})
    await h.flush()
    const all = await h.query()
    expect(all.map((e) => e.type)).toEqual(['ui.click', 'audit.login', 'audit.user.deleted'])
    expect(all[0]!.data).toEqual({ n: 2 })
  })

  test('a burst of publishes is written in few transactions', async () => {
    const { h } = open('batch')
    const bus = createBus()
    h.attach(bus)
    for (let i = 0; i < 2000; i++) bus.publish('load.tick', { i }, { persistent: true })
    await h.flush()
    expect(await h.count()).toBe(2000)
    const s = h.stats()
    expect(s.written).toBe(2000)
    expect(s.transactions).toBeLessThanOrEqual(2)
    const events = await h.query({ type: 'load.tick' })
    expect(events.map((e) => (e.data as { i: number }).i)).toEqual([...Array(2000).keys()])
  })

  test('events published before the database opened are not lost', async () => {
    const { h } = open('early')
    const bus = createBus()
    h.attach(bus)
    const p = bus.publishAsync('early.one', 1, { persistent: true })
    expect(h.status).toBe('opening')
    await p
    expect(h.status).toBe('open')
    expect((await h.query()).map((e) => e.data)).toEqual([1])
  })

  test('an event that reaches a context twice (two bridges, two buses) is stored once', async () => {
    const { h, dbName } = open('dedupe')
    const a = createBus()
    const b = createBus()
    h.attach(a)
    h.attach(b)
    // A second history on the same database, as another tab would have.
    const other = openHistory({ dbName })
    const c = createBus()
    other.attach(c)
    const unsub = a.on('x.**').subscribe((e) => {
      bridgeHost(b, 'test').ingest(e, 'test-bridge')
      bridgeHost(c, 'test').ingest(e, 'test-bridge')
    })
    await a.publishAsync('x.y', { v: 1 }, { persistent: true })
    await Promise.all([h.flush(), other.flush()])
    unsub.unsubscribe()
    expect(h.stats().duplicates).toBe(1)
    const raw = await readRaw(dbName)
    expect(raw).toHaveLength(1)
    expect(raw[0]!.origin).toBe(a.origin)
    await other.close()
  })

  test('system topics are recorded only through a $ pattern', async () => {
    const { h } = open('system', { record: ['**', '$tidings.error'] })
    const bus = createBus()
    h.attach(bus)
    bus.subscribe('boom', () => {
      throw new Error('handler failed')
    })
    bus.publish('boom', 1)
    await h.flush()
    const types = (await h.query()).map((e) => e.type)
    expect(types).toEqual(['boom', '$tidings.error'])
  })

  test('detaching stops recording', async () => {
    const { h } = open('detach')
    const bus = createBus()
    const handle = h.attach(bus)
    bus.publish('a.b', 1, { persistent: true })
    handle.unsubscribe()
    bus.publish('a.b', 2, { persistent: true })
    await h.flush()
    expect((await h.query()).map((e) => e.data)).toEqual([1])
  })
})

describe('query', () => {
  const base = Date.parse('2025-07-24T00:00:00Z')
  async function seed(h: History) {
    const events: TidingsEvent[] = []
    for (let i = 0; i < 60; i++) {
      const type = i % 3 === 0 ? 'important.transaction' : i % 3 === 1 ? 'important.refund' : 'noise.tick'
      events.push(
        envelope(type, base + i * 3_600_000 /* hourly */, { amount: i * 50, account: `ACC-${i % 2}` }, i % 10 === 0 ? { correlationId: `c-${i / 10}` } : {}),
      )
    }
    // Imported shuffled: the order must come from the indexes, not insertion.
    const report = await h.import(events.toReversed())
    expect(report).toEqual({ imported: 60, expired: 0, rejected: [], legacy: 0 })
    return events
  }

  test('exact type + time range (ISO strings) + where, like seed 001', async () => {
    const { h } = open('q1')
    const events = await seed(h)
    const got = await h.query({
      type: 'important.transaction',
      from: '2025-07-24T00:00:00Z',
      to: '2025-07-25T00:00:00Z',
      where: { 'data.amount': ['>=', 500] },
    })
    const want = events.filter((e) => e.type === 'important.transaction' && e.timestamp <= base + 86_400_000 && (e.data as { amount: number }).amount >= 500)
    expect(got.map((e) => e.id)).toEqual(want.map((e) => e.id))
    expect(got.map((e) => (e.data as { amount: number }).amount)).toEqual([600, 750, 900, 1050, 1200])
  })

  test('glob types, limit, order desc, correlationId, equality and in', async () => {
    const { h } = open('q2')
    const events = await seed(h)
    const important = events.filter((e) => e.type.startsWith('important.'))
    expect((await h.query({ type: 'important.*' })).map((e) => e.id)).toEqual(important.map((e) => e.id))
    expect((await h.query({ type: 'important.*', limit: 3 })).map((e) => e.id)).toEqual(important.slice(0, 3).map((e) => e.id))
    expect((await h.query({ type: 'important.{refund,nope}', order: 'desc', limit: 2 })).map((e) => e.id)).toEqual(
      events.filter((e) => e.type === 'important.refund').toReversed().slice(0, 2).map((e) => e.id),
    )
    expect((await h.query({ type: 'important.refund', order: 'desc', limit: 2 })).map((e) => e.id)).toEqual(
      events.filter((e) => e.type === 'important.refund').toReversed().slice(0, 2).map((e) => e.id),
    )
    expect((await h.query({ correlationId: 'c-2' })).map((e) => e.id)).toEqual([events[20]!.id])
    expect(await h.query({ correlationId: 'c-1', type: 'noise.tick' })).toEqual([])
    expect((await h.query({ type: 'noise.tick', where: { 'data.account': 'ACC-1', 'data.amount': ['in', [250, 550, 999]] } })).map((e) => e.id)).toEqual(
      [events[5]!.id, events[11]!.id],
    )
    expect(await h.count({ type: '**' })).toBe(60)
    expect(await h.count({ from: base + 10 * 3_600_000, to: base + 19 * 3_600_000 })).toBe(10)
  })

  test('pages beyond one page keep order and stop exactly at the limit', async () => {
    const { h } = open('pages')
    const events = Array.from({ length: 2500 }, (_, i) => envelope(i % 2 ? 'p.odd' : 'p.even', 1000 + Math.floor(i / 3), { i }))
    await h.import(events)
    const odd = events.filter((e) => e.type === 'p.odd')
    expect((await h.query({ type: 'p.odd' })).map((e) => e.id)).toEqual(odd.map((e) => e.id))
    expect((await h.query({ type: 'p.*', order: 'desc' })).map((e) => e.id)).toEqual(events.toReversed().map((e) => e.id))
    expect(await h.query({ type: 'p.*', limit: 1500 })).toHaveLength(1500)
    expect(await h.count()).toBe(2500)
  })

  test('globs give the same results whether they list types (few) or scan the time index (many)', async () => {
    const { h } = open('globs')
    // 80 types under "g.": "g.*" matches more than MAX_MATCHING_TYPES, so it scans the time
    // index; "g.t1*" matches 11 types and "{g,x}.t7" (no literal prefix) 1, so they list types and
    // merge per-type ranges; both ways must give the time scan's order.
    const events = Array.from({ length: 1600 }, (_, i) => envelope(`g.t${i % 80}`, 1000 + Math.floor(i / 2), { i }))
    events.push(envelope('x.only', 1500, 'x'), envelope('x.only', 1200, 'y'))
    await h.import(events)
    const byTime = [...events].sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq)
    const want = (re: RegExp, from = -Infinity, to = Infinity) => byTime.filter((e) => re.test(e.type) && e.timestamp >= from && e.timestamp <= to).map((e) => e.id)
    expect((await h.query({ type: 'g.*' })).map((e) => e.id)).toEqual(want(/^g\./))
    expect((await h.query({ type: 'g.t1*', from: 1100, to: 1300 })).map((e) => e.id)).toEqual(want(/^g\.t1/, 1100, 1300))
    expect((await h.query({ type: '{g,x}.t7', order: 'desc' })).map((e) => e.id)).toEqual(want(/^g\.t7$/).toReversed())
    expect((await h.query({ type: 'x.*' })).map((e) => e.data)).toEqual(['y', 'x'])
    // Few types: listed and merged, with desc, limits, where and a correlation id.
    const { h: h2 } = open('globs2')
    const few = Array.from({ length: 3000 }, (_, i) => envelope(`m.k${i % 3}`, 5000 + Math.floor(i / 4), { i }, { correlationId: i % 2 ? 'odd' : 'even' }))
    few.push(envelope('n.k1', 5001, 'other'))
    await h2.import(few)
    const fewSorted = [...few].sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq)
        expect(ids(await h2.query({ type: 'm.*' }))).toEqual(ids(fewSorted.filter((e) => e.type.startsWith('m.'))))
    expect(ids(await h2.query({ type: 'm.k[02]', order: 'desc', limit: 1200 }))).toEqual(
      ids(fewSorted.filter((e) => e.type === 'm.k0' || e.type === 'm.k2').toReversed().slice(0, 1200)),
    )
    expect(ids(await h2.query({ type: '*.k1', from: 5100, to: 5200, where: { 'data.i': ['>=', 450] } }))).toEqual(
      ids(fewSorted.filter((e) => e.type.endsWith('.k1') && e.timestamp >= 5100 && e.timestamp <= 5200 && (e.data as { i: number }).i >= 450)),
    )
    expect(ids(await h2.query({ type: 'm.**', correlationId: 'odd', limit: 7 }))).toEqual(ids(fewSorted.filter((e) => e.type.startsWith('m.') && e.correlationId === 'odd').slice(0, 7)))
    expect(await h2.count({ type: 'm.*' })).toBe(3000)
  })

  test('a database from an older layout (no types list) is upgraded and its types listed', async () => {
    const dbName = uniqueDb('layout')
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(dbName, 1)
      req.addEventListener('upgradeneeded', () => {
        const store = createLegacyEventsStore(req.result)
        for (const [i, t] of ['old.a', 'old.b', 'old.a', 'new.c'].entries()) store.put(envelope(t, 100 + i, i))
      })
      req.addEventListener('success', () => (req.result.close(), resolve()))
      req.addEventListener('error', () => reject(req.error))
    })
    const h = openHistory({ dbName })
    opened.push({ h, dbName })
    expect((await h.query({ type: 'old.*' })).map((e) => e.data)).toEqual([0, 1, 2])
    expect((await h.query({ type: '*.c' })).map((e) => e.data)).toEqual([3])
  })

  test('stream delivers the same events in pages and stops when unsubscribed', async () => {
    const { h } = open('stream')
    const events = Array.from({ length: 2300 }, (_, i) => envelope('s.e', 5000 + i, { i }))
    await h.import(events)
    const all = await firstValueFrom(h.stream({ type: 's.e' }).pipe(toArray()))
    expect(all.map((e) => e.id)).toEqual(events.map((e) => e.id))
    const first = await firstValueFrom(h.stream({ type: 's.*' }).pipe(take(5), toArray()))
    expect(first.map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4])
  })

  test('bad queries fail with InvalidHistoryInputError naming the input', async () => {
    const { h } = open('badq')
    await expect(h.query({ from: 'yesterday' })).rejects.toThrow(InvalidHistoryInputError)
    await expect(h.query({ from: 'yesterday' })).rejects.toThrow(/query.from/)
    await expect(h.query({ where: { 'data.x': ['~', 1] as never } })).rejects.toThrow(/operator must be one of/)
    await expect(h.query({ where: { 'data.x': ['>', {}] } })).rejects.toThrow(/needs a number or a string/)
    await expect(h.query({ limit: -1 })).rejects.toThrow(/query.limit/)
    await expect(h.query({ type: 'a..b' })).rejects.toThrow(/empty segment/)
    await expect(h.query({ from: 10, to: 5 })).rejects.toThrow(/is after query.to/)
    expect(() => openHistory({ maxEvents: 0 })).toThrow(/maxEvents/)
    expect(() => openHistory({ redact: [''] })).toThrow(/redact/)
  })
})

describe('ttl, eviction, redaction', () => {
  test('expired events are never returned and the sweep deletes them', async () => {
    const { h, dbName } = open('ttl', { defaultTtlMs: 60_000 })
    const now = Date.now()
    await h.import([
      envelope('t.short', now - 5000, 1, { ttlMs: 1000 }), // expired 4 s ago
      envelope('t.default', now - 120_000, 2), // default TTL: expired a minute ago... skipped on import
      envelope('t.live', now, 3, { ttlMs: 1500 }),
      envelope('t.keep', now, 4),
    ])
    expect((await h.query()).map((e) => e.data)).toEqual([3, 4])
    await new Promise((r) => setTimeout(r, 1600))
    expect((await h.query()).map((e) => e.data)).toEqual([4])
    expect(await h.count()).toBe(1)
    expect((await readRaw(dbName)).map((r) => r.data)).toEqual([3, 4])
    expect(await h.sweep()).toBe(1)
    expect((await readRaw(dbName)).map((r) => r.data)).toEqual([4])
    expect(h.stats().expired).toBe(1)
  })

  test('published ttlMs is honoured and expired records carry no expiresAt when read', async () => {
    const { h } = open('ttl2')
    const bus = createBus()
    h.attach(bus)
    await bus.publishAsync('t.a', 1, { persistent: true, ttlMs: 1000 })
    await bus.publishAsync('t.b', 2, { persistent: true })
    const [a] = await h.query({ type: 't.a' })
    expect(a).not.toHaveProperty('expiresAt')
    expect(a!.ttlMs).toBe(1000)
    await new Promise((r) => setTimeout(r, 1100))
    expect((await h.query()).map((e) => e.type)).toEqual(['t.b'])
  })

  test('the background sweep runs on its interval', async () => {
    const { h, dbName } = open('ttl3', { sweepIntervalMs: 100 })
    const bus = createBus()
    h.attach(bus)
    await bus.publishAsync('t.a', 1, { persistent: true, ttlMs: 50 })
    await bus.publishAsync('t.b', 2, { persistent: true })
    for (let i = 0; i < 50 && (await readRaw(dbName)).length !== 1; i++) await new Promise((r) => setTimeout(r, 100))
    expect((await readRaw(dbName)).map((r) => r.type)).toEqual(['t.b'])
  })

  test('maxEvents evicts the oldest first', async () => {
    const { h } = open('max', { maxEvents: 5 })
    const bus = createBus()
    h.attach(bus)
    for (let i = 0; i < 8; i++) await bus.publishAsync('m.e', i, { persistent: true })
    expect((await h.query()).map((e) => e.data)).toEqual([3, 4, 5, 6, 7])
    for (let i = 8; i < 20; i++) bus.publish('m.e', i, { persistent: true })
    await h.flush()
    expect((await h.query()).map((e) => e.data)).toEqual([15, 16, 17, 18, 19])
    expect(h.stats().evicted).toBe(15)
  })

  test('redacted fields never reach storage; subscribers still see them', async () => {
    const { h, dbName } = open('redact', { redact: ['password', 'card.number', '*.token'] })
    const bus = createBus()
    h.attach(bus)
    const seen: unknown[] = []
    bus.on('user.*').subscribe((e) => seen.push(e.data))
    const data = { user: 'ann', password: 'hunter2', card: { number: '4111', exp: '12/30' }, session: { token: 't0k', id: 7 } }
    await bus.publishAsync('user.login', data, { persistent: true })
    expect(seen[0]).toBe(data)
    expect(data.password).toBe('hunter2')
    const [raw] = await readRaw(dbName)
    expect(raw!.data).toEqual({ user: 'ann', password: REDACTED, card: { number: REDACTED, exp: '12/30' }, session: { token: REDACTED, id: 7 } })
    expect(JSON.stringify(await readRaw(dbName))).not.toMatch(/hunter2|4111|t0k/)
  })
})

describe('replay', () => {
  test('instant replay re-publishes in original order, marked, without writing duplicates', async () => {
    const { h } = open('replay', { record: ['r.**'] })
    const bus = createBus()
    h.attach(bus)
    await h.import([envelope('r.b', 2000, 'second'), envelope('r.a', 1000, 'first', { correlationId: 'k' }), envelope('r.c', 3000, 'third')])
    const got: TidingsEvent[] = []
    bus.on('r.**').subscribe((e) => got.push(e))
    const originals = await h.query()
    const result = await h.replay(bus, { type: 'r.*', order: 'desc' })
    expect(result).toEqual({ replayed: 3 })
    expect(got.map((e) => e.data)).toEqual(['first', 'second', 'third'])
    expect(got.map((e) => e.metadata)).toEqual(originals.map((o) => ({ replayed: true, replayOf: o.id, replayOfTimestamp: o.timestamp })))
    expect(got[0]!.correlationId).toBe('k')
    expect(got.every((e, i) => e.id !== originals[i]!.id)).toBe(true)
    await h.flush()
    expect(await h.count()).toBe(3)
  })

  test('timed replay keeps the original spacing scaled by speed', async () => {
    const { h } = open('replay2')
    const bus = createBus()
    h.attach(bus)
    await h.import([envelope('t.a', 10_000, 0), envelope('t.a', 10_400, 1), envelope('t.a', 10_800, 2)])
    const at: number[] = []
    bus.on('t.a').subscribe(() => at.push(performance.now()))
    await h.replay(bus, {}, { speed: 2 })
    expect(at).toHaveLength(3)
    // 400 ms gaps at speed 2 -> at least ~200 ms each (timers never fire early).
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(190)
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(190)
    await expect(h.replay(bus, {}, { speed: 0 })).rejects.toThrow(InvalidHistoryInputError)
    const ctrl = new AbortController()
    const p = h.replay(bus, {}, { speed: 1, signal: ctrl.signal })
    setTimeout(() => ctrl.abort(), 50)
    await expect(p).rejects.toThrow(/aborted/)
  })
})

describe('export / import / clear', () => {
  test('JSON lines and JSON round-trip; bad records are reported and good ones kept', async () => {
    const { h } = open('export', { record: ['e.**'] })
    const bus = createBus()
    h.attach(bus)
    bus.publish('e.one', { a: 1 }, { correlationId: 'c' })
    bus.publish('e.two', { b: [1, 2] })
    await h.flush()
    const jsonl = await h.export({ format: 'jsonl' })
    expect(jsonl.trim().split('\n')).toHaveLength(2)
    const json = await h.export({ format: 'json', type: 'e.two' })
    expect(JSON.parse(json)).toHaveLength(1)
    const { h: h2 } = open('import')
    const [first] = await h.query()
    const bad = jsonl + '{"not":"an event"}\nnot json\n' + JSON.stringify({ ...first, type: 'bad..type', id: 'z' }) + '\n'
    const report = await h2.import(bad)
    expect(report.imported).toBe(2)
    expect(report.rejected.map((r) => r.index)).toEqual([2, 3, 4])
    expect(report.rejected[0]!.reason).toMatch(/version/)
    expect(report.rejected[1]!.reason).toMatch(/not valid JSON/)
    expect(report.rejected[2]!.reason).toMatch(/not a valid topic/)
    expect(await h2.query()).toEqual(await h.query())
    const fromJson = await h2.import(JSON.stringify([{ id: 1 }, ...(JSON.parse(await h.export()) as string[])]))
    expect(fromJson.imported).toBe(2)
    expect(fromJson.rejected).toEqual([{ index: 0, reason: expect.stringMatching(/version/) }])
    await expect(h2.import(42 as never)).rejects.toThrow(InvalidHistoryInputError)
  })

  test('clear all or by query', async () => {
    const { h } = open('clear')
    await h.import([envelope('c.a', 1, 1), envelope('c.b', 2, 2), envelope('c.a', 3, 3)])
    expect(await h.clear({ type: 'c.a' })).toBe(2)
    expect((await h.query()).map((e) => e.data)).toEqual([2])
    expect(await h.clear()).toBe(1)
    expect(await h.count()).toBe(0)
  })

  test('a closed history refuses use with HistoryClosedError', async () => {
    const { h } = open('closed')
    await h.close()
    await expect(h.query()).rejects.toThrow(/is closed/)
    expect(() => h.attach(createBus())).toThrow(/is closed/)
    expect(h.status).toBe('closed')
  })
})
