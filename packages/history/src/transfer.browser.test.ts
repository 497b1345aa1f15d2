// Export and import in real Chromium: what was stored comes back as it was (the type-preserving
// encoding of @tidings/core/bridge), a value text cannot carry refuses the export with the list of
// events and paths, the format before (plain JSON) is still read, and the import report says what
// it refused and why. Oracle for the property test: structuredClone (what IndexedDB stored).
import { createBus, type TidingsEvent } from '@tidings/core'
import { decode } from '@tidings/core/bridge'
import * as fc from 'fast-check'
import { afterEach, expect, test } from 'vitest'
import { cloneable, difference } from '../../../test-support/cloneable.js'
import { HistoryDataError, HistoryExportError, openHistory, type History } from './index.js'
import { deleteDb, envelope, readRaw, uniqueDb } from './test-helpers.js'

const opened: Array<{ h: History; dbName: string }> = []
function open(label: string) {
  const dbName = uniqueDb(label)
  const h = openHistory({ dbName })
  opened.push({ h, dbName })
  return h
}
afterEach(async () => {
  for (const { h, dbName } of opened.splice(0)) {
    await h.close()
    await deleteDb(dbName)
  }
})

const sparse: unknown[] = [1]
sparse[3] = 'x'
/** The values the plain-JSON export changed (10 of these 11), plus BigInt and a cycle, which made it throw. */
function values(): Array<[string, unknown]> {
  const cyclic: Record<string, unknown> = { name: 'loop' }
  cyclic['self'] = cyclic
  return [
    ['Date', new Date(1_700_000_000_123)],
    ['Map', new Map<unknown, unknown>([['a', 1], [{ k: 2 }, new Set([3])]])],
    ['Set', new Set([1, 'two', { three: 3 }])],
    ['RegExp', /ab+c/gi],
    ['Uint8Array', new Uint8Array([0, 127, 255])],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-0', -0],
    ['undefined', undefined],
    ['sparse array', sparse],
    ['plain object', { n: 1, s: 'text', list: [1, 2] }],
    ['BigInt', { amount: 2n ** 70n }],
    ['cycle', cyclic],
  ]
}

async function record(h: History, data: Array<[string, unknown]>): Promise<TidingsEvent[]> {
  const bus = createBus()
  h.attach(bus)
  for (const [label, v] of data) await bus.publishAsync('v.value', v, { persistent: true, metadata: { label } })
  return h.query()
}

for (const format of ['jsonl', 'json'] as const) {
  test(`export (${format}) then import keeps Date, Map, Set, RegExp, a typed array, NaN, Infinity, -0, undefined, a sparse array, BigInt and cycles`, async () => {
    const source = open(`export-${format}`)
    const stored = await record(source, values())
    expect(stored).toHaveLength(13)
    const text = await source.export({ format })
    const copy = open(`import-${format}`)
    expect(await copy.import(text)).toEqual({ imported: 13, expired: 0, rejected: [], legacy: 0 })
    const back = await copy.query()
    // Whole envelopes, field by field, against what was sent (through structuredClone, as stored).
    expect(back.map((e) => e.id)).toEqual(stored.map((e) => e.id))
    const sent = values()
    for (let i = 0; i < sent.length; i++) {
      const [label, v] = sent[i]!
      expect([label, difference(structuredClone(v), back[i]!.data)]).toEqual([label, undefined])
      expect([label, difference(stored[i], back[i])]).toEqual([label, undefined])
    }
    // The ones toEqual would let through, asserted by hand.
    const byLabel = new Map(back.map((e) => [e.metadata!['label'] as string, e.data]))
    expect(Object.is(byLabel.get('-0'), -0)).toBe(true)
    expect(Number.isNaN(byLabel.get('NaN'))).toBe(true)
    expect(byLabel.get('Infinity')).toBe(Infinity)
    expect(byLabel.get('Date')).toEqual(new Date(1_700_000_000_123))
    expect(byLabel.get('Map')).toBeInstanceOf(Map)
    expect((byLabel.get('BigInt') as { amount: bigint }).amount).toBe(2n ** 70n)
    const loop = byLabel.get('cycle') as { self: unknown }
    expect(loop.self).toBe(loop)
    const holes = byLabel.get('sparse array') as unknown[]
    expect([holes.length, 1 in holes, 3 in holes]).toEqual([4, false, true])
    const u = back.find((e) => e.metadata!['label'] === 'undefined')!
    expect(Object.hasOwn(u, 'data') && u.data === undefined).toBe(true)
    // The container: one encoded envelope per line, or per element of a JSON array of strings.
    const records = format === 'jsonl' ? text.trimEnd().split('\n') : (JSON.parse(text) as string[])
    expect(records).toHaveLength(13)
    expect((decode(records[0]!, 'record') as TidingsEvent).data).toEqual(new Date(1_700_000_000_123))
  })
}

test('a stored value text cannot carry (a Blob, a File): export refuses with HistoryExportError naming each event, type and path; nothing is exported; narrower exports still work', async () => {
  const h = open('export-blob')
  const bus = createBus()
  h.attach(bus)
  const ok = await bus.publishAsync('doc.text', { body: 'hello' }, { persistent: true })
  const blob = await bus.publishAsync('doc.upload', { name: 'a.txt', file: new Blob(['abc']) }, { persistent: true })
  const file = await bus.publishAsync('doc.upload', { files: [new File(['x'], 'b.txt')] }, { persistent: true })
  // IndexedDB stored them (structured clone carries Blobs).
  expect((await h.query({ type: 'doc.upload' })).map((e) => (e.data as { file?: unknown }).file instanceof Blob)).toEqual([true, false])
  const err = await h.export({ format: 'jsonl' }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(HistoryExportError)
  const refused = (err as HistoryExportError).refused
  expect(refused.map((r) => [r.name, r.eventId, r.eventType, r.path])).toEqual([
    ['HistoryDataError', blob.id, 'doc.upload', 'data.file'],
    ['HistoryDataError', file.id, 'doc.upload', 'data.files[0]'],
  ])
  expect(refused[0]).toBeInstanceOf(HistoryDataError)
  expect(refused[0]!.message).toMatch(new RegExp(`^Event ${blob.id} \\(doc\\.upload\\) cannot be exported: data\\.file is a Blob, which text cannot carry`))
  expect((err as Error).message).toMatch(/^Nothing was exported: 2 event\(s\) hold values text cannot carry \(error.refused lists them\)\. Event /)
  expect(h.stats().dataErrors).toBe(2)
  const text = await h.export({ type: 'doc.text', format: 'jsonl' })
  const copy = open('import-text')
  expect(await copy.import(text)).toMatchObject({ imported: 1, rejected: [] })
  expect((await copy.query()).map((e) => [e.id, e.data])).toEqual([[ok.id, { body: 'hello' }]])
})

test('the format before (plain JSON lines, a JSON array) is still imported and counted as legacy; what JSON had changed stays changed', async () => {
  const events = [envelope('old.e', 1000, { when: '2024-01-01T00:00:00.000Z', n: 1 }), envelope('old.e', 1001, { tags: {}, n: null })]
  // What the previous export wrote: JSON.stringify of each event (a Date became its ISO string, a Map {}, NaN null).
  const jsonl = events.map((e) => JSON.stringify(e) + '\n').join('')
  const h = open('legacy-jsonl')
  expect(await h.import(jsonl)).toEqual({ imported: 2, expired: 0, rejected: [], legacy: 2 })
  expect((await h.query()).map((e) => e.data)).toEqual([
    { when: '2024-01-01T00:00:00.000Z', n: 1 },
    { tags: {}, n: null },
  ])
  const h2 = open('legacy-json')
  expect(await h2.import(JSON.stringify(events))).toEqual({ imported: 2, expired: 0, rejected: [], legacy: 2 })
  expect(await h2.query()).toEqual(await h.query())
})

test('the import report says what it refused and why: malformed encodings, invalid envelopes, bad lines; the rest is stored', async () => {
  const source = open('report-src')
  await record(source, [
    ['a', new Map([[1, 1]])],
    ['b', 2n],
  ])
  const [line0, line1] = (await source.export({ format: 'jsonl' })).trimEnd().split('\n')
  const text = [line0, line0!.slice(0, 20), '{"not":"an event"}', 'not json', line1, '[[1],{"id":2}]'].join('\n') + '\n'
  const h = open('report-dst')
  const report = await h.import(text)
  expect(report.imported).toBe(2)
  expect(report.legacy).toBe(0)
  expect(report.rejected.map((r) => r.index)).toEqual([1, 2, 3, 5])
  expect(report.rejected[0]!.reason).toMatch(/^MalformedEncodingError: record 1 is not valid Tidings-encoded text/)
  expect(report.rejected[1]!.reason).toBe('unsupported envelope version undefined')
  expect(report.rejected[2]!.reason).toMatch(/^SyntaxError: .* is not valid JSON$/)
  expect(report.rejected[3]!.reason).toMatch(/^MalformedEncodingError: record 5 /)
  expect((await h.query()).map((e) => e.data)).toEqual([new Map([[1, 1]]), 2n])
  // The same event twice is stored once.
  expect(await h.import(text)).toMatchObject({ imported: 2 })
  expect(await readRaw(h.dbName)).toHaveLength(2)
})

const RUNS = 300

test(`property: random structured-cloneable event data comes back from export + import as structuredClone makes it (${RUNS} runs)`, { timeout: 180_000 }, async () => {
  const source = open('prop-src')
  const target = open('prop-dst')
  const bus = createBus()
  source.attach(bus)
  let run = 0
  await fc.assert(
    fc.asyncProperty(fc.array(cloneable, { minLength: 1, maxLength: 3 }), fc.constantFrom('json' as const, 'jsonl' as const), async (data, format) => {
      let expected: unknown[] = []
      try {
        expected = data.map((v) => structuredClone(v))
      } catch {
        fc.pre(false)
      }
      const correlationId = `run-${run++}`
      await Promise.all(data.map((v) => bus.publishAsync('prop.value', v, { persistent: true, correlationId })))
      const text = await source.export({ correlationId, format })
      expect(await target.import(text)).toEqual({ imported: data.length, expired: 0, rejected: [], legacy: 0 })
      const back = await target.query({ correlationId })
      expect(back).toHaveLength(data.length)
      back.forEach((e, i) => expect(difference(expected[i], e.data)).toBeUndefined())
      // And the envelope around it, as stored.
      expect(difference(await source.query({ correlationId }), back)).toBeUndefined()
    }),
    { numRuns: RUNS },
  )
  expect(run).toBeGreaterThan(RUNS / 2)
})
