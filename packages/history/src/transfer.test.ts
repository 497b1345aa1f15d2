import { decode } from '@tidings/core/bridge'
import { expect, test } from 'vitest'
import { HistoryDataError, HistoryExportError, InvalidHistoryInputError } from './errors.js'
import { checkFormat, parseImport, serialize } from './transfer.js'

const e = (i: number, data: unknown = { i }) => ({ id: `o:${i}`, type: 'a.b', timestamp: i, version: 1 as const, data, origin: 'o', seq: i })
const fn = () => 1
const events = (p: ReturnType<typeof parseImport>) => p.events.map((x) => x.event)

test('serialize and parse JSON lines and JSON arrays: one encoded envelope per line or element', () => {
  const list = [e(1), e(2)]
  const jsonl = serialize(list, 'jsonl')
  expect(jsonl.split('\n')).toHaveLength(3)
  expect(decode(jsonl.split('\n')[0]!, 'line')).toEqual(e(1))
  const json = serialize(list, 'json')
  expect((JSON.parse(json) as string[]).map((s) => decode(s, 'element'))).toEqual(list)
  for (const text of [jsonl, json]) expect(parseImport(text)).toEqual({ events: [{ index: 0, event: e(1) }, { index: 1, event: e(2) }], rejected: [], legacy: 0 })
  expect(parseImport(list)).toEqual({ events: [{ index: 0, event: e(1) }, { index: 1, event: e(2) }], rejected: [], legacy: 0 })
  // One line alone is an array too (of arrays): still JSON lines.
  expect(events(parseImport(serialize([e(3)], 'jsonl')))).toEqual([e(3)])
  expect(events(parseImport(serialize([e(3)], 'json')))).toEqual([e(3)])
  expect(parseImport(serialize([], 'json'))).toEqual({ events: [], rejected: [], legacy: 0 })
})

test('values JSON cannot carry survive serialize + parse', () => {
  const sparse = [1, , 3] // eslint-disable-line no-sparse-arrays
  const data = { d: new Date(5), m: new Map([[1, { a: 1n }]]), s: new Set(['x']), r: /a+/gi, u8: new Uint8Array([1, 2]), nan: NaN, inf: -Infinity, z: -0, u: undefined, sparse }
  const [got] = events(parseImport(serialize([e(1, data)], 'jsonl')))
  expect(got!.data).toStrictEqual(data)
  expect(Object.is((got!.data as { z: number }).z, -0)).toBe(true)
  expect(1 in ((got!.data as { sparse: unknown[] }).sparse)).toBe(false)
})

test('the old format (plain JSON objects) is still read, and counted as legacy', () => {
  const old = [e(1), e(2)]
  expect(parseImport(old.map((x) => JSON.stringify(x)).join('\n') + '\n')).toEqual({ events: [{ index: 0, event: e(1) }, { index: 1, event: e(2) }], rejected: [], legacy: 2 })
  expect(parseImport(JSON.stringify(old))).toMatchObject({ legacy: 2, rejected: [] })
  // Mixed: an old line next to a new one.
  const mixed = parseImport(JSON.stringify(e(1)) + '\n' + serialize([e(2)], 'jsonl'))
  expect(events(mixed)).toEqual(old)
  expect(mixed.legacy).toBe(1)
})

test('bad records are reported by position with the reason; good ones kept', () => {
  const text = [JSON.stringify(e(1)), '', 'nope', JSON.stringify({ ...e(2), seq: -1 }), JSON.stringify({ ...e(3), type: 'a.*' }), serialize([e(4)], 'jsonl').trim(), '[[1],{"id":2', serialize([{ ...e(5), version: 2 }] as never, 'jsonl').trim()].join('\n')
  const { rejected, ...rest } = parseImport(text)
  expect(events(rest as never).map((x) => x.id)).toEqual(['o:1', 'o:4'])
  expect(rejected.map((r) => r.index)).toEqual([2, 3, 4, 6, 7])
  expect(rejected[0]!.reason).toMatch(/not valid JSON/)
  expect(rejected[1]!.reason).toMatch(/seq/)
  expect(rejected[2]!.reason).toMatch(/not a valid topic/)
  expect(rejected[3]!.reason).toMatch(/^MalformedEncodingError: record 6 is not valid Tidings-encoded text/)
  expect(rejected[4]!.reason).toMatch(/unsupported envelope version 2/)
})

test('an array element whose fields throw when read is rejected, not thrown', () => {
  const bad = Object.defineProperty({}, 'version', {
    get() {
      throw new Error('boom')
    },
  })
  expect(parseImport([e(1), bad, e(2)])).toMatchObject({ events: [{ index: 0 }, { index: 2 }], rejected: [{ index: 1, reason: 'Error: boom' }] })
})

test('unknown fields are not imported; data: undefined is kept', () => {
  const { events: got } = parseImport([{ ...e(1), expiresAt: 0, evil: true }, { ...e(2), data: undefined }])
  expect(got[0]!.event).toEqual(e(1))
  expect('data' in got[1]!.event).toBe(true)
  const [decoded] = events(parseImport(serialize([{ ...e(3), data: undefined }], 'jsonl')))
  expect(Object.hasOwn(decoded!, 'data')).toBe(true)
})

test('an event the encoding cannot carry refuses the whole export, naming every such event and path', () => {
  const err = (() => {
    try {
      serialize([e(1), e(2, { cb: fn }), e(3), e(4, { list: [1, Symbol('s')] })], 'jsonl')
    } catch (x) {
      return x
    }
  })()
  expect(err).toBeInstanceOf(HistoryExportError)
  const refused = (err as HistoryExportError).refused
  expect(refused.map((r) => [r.eventId, r.eventType, r.path])).toEqual([
    ['o:2', 'a.b', 'data.cb'],
    ['o:4', 'a.b', 'data.list[1]'],
  ])
  expect(refused[0]).toBeInstanceOf(HistoryDataError)
  expect(refused[0]!.message).toMatch(/^Event o:2 \(a\.b\) cannot be exported: data\.cb is a function/)
  expect((err as Error).message).toMatch(/^Nothing was exported: 2 event\(s\)/)
})

test('unparseable documents and bad formats throw typed errors', () => {
  expect(() => parseImport('[{')).toThrow(InvalidHistoryInputError)
  expect(() => parseImport(7 as never)).toThrow(/import input/)
  expect(() => checkFormat('csv')).toThrow(/export format/)
  expect(checkFormat(undefined)).toBe('json')
})
