import { expect, test } from 'vitest'
import { InvalidHistoryInputError } from './errors.js'
import { checkFormat, parseImport, serialize } from './transfer.js'

const e = (i: number) => ({ id: `o:${i}`, type: 'a.b', timestamp: i, version: 1 as const, data: { i }, origin: 'o', seq: i })

test('serialize and parse JSON lines and JSON arrays', () => {
  const events = [e(1), e(2)]
  expect(parseImport(serialize(events, 'jsonl'))).toEqual({ events, rejected: [] })
  expect(parseImport(serialize(events, 'json'))).toEqual({ events, rejected: [] })
  expect(parseImport(events)).toEqual({ events, rejected: [] })
})

test('bad records are reported by position with the reason; good ones kept', () => {
  const text = [JSON.stringify(e(1)), '', 'nope', JSON.stringify({ ...e(2), seq: -1 }), JSON.stringify({ ...e(3), type: 'a.*' }), JSON.stringify(e(4))].join('\n')
  const { events, rejected } = parseImport(text)
  expect(events.map((x) => x.id)).toEqual(['o:1', 'o:4'])
  expect(rejected.map((r) => r.index)).toEqual([2, 3, 4])
  expect(rejected[0]!.reason).toMatch(/not valid JSON/)
  expect(rejected[1]!.reason).toMatch(/seq/)
  expect(rejected[2]!.reason).toMatch(/not a valid topic/)
})

test('unknown fields are not imported; data: undefined is kept', () => {
  const { events } = parseImport([{ ...e(1), expiresAt: 0, evil: true }, { ...e(2), data: undefined }])
  expect(events[0]).toEqual(e(1))
  expect('data' in events[1]!).toBe(true)
})

test('unparseable documents and bad formats throw typed errors', () => {
  expect(() => parseImport('[{')).toThrow(InvalidHistoryInputError)
  expect(() => parseImport(7 as never)).toThrow(/import input/)
  expect(() => checkFormat('csv')).toThrow(/export format/)
  expect(checkFormat(undefined)).toBe('json')
})
