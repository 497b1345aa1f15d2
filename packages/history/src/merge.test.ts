// The lazy merge of a window's segments (merge.ts) against a plain sort: same events, same order,
// both directions (fast-check over segments that interleave, follow one another, or tie on
// timestamps, and on timestamps and seq).
import * as fc from 'fast-check'
import { expect, test } from 'vitest'
import { mergeEvents } from './merge.js'
import type { StoredRecord } from './record.js'
import { compareEvents, makeSegment } from './segment.js'

const ev = (id: string, timestamp: number, seq: number): StoredRecord => ({ id, type: 'm', timestamp, version: 1, data: null, origin: 'm', seq })

test('mergeEvents yields what a sort of all events yields, in both directions (fast-check)', () => {
  fc.assert(
    fc.property(
      // Each id in one segment only (as the unique ids index keeps them).
      fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 300, maxLength: 300 }),
      fc.boolean(),
      (idList, segOf, desc) => {
        // Time and seq follow from the id, with many ties on time, and on time and seq.
        const groups = new Map<number, StoredRecord[]>()
        idList.forEach((id, k) => groups.set(segOf[k]!, [...(groups.get(segOf[k]!) ?? []), ev(`e${id}`, id % 61, id % 4)]))
        const segs = [...groups.values()].map((g) => makeSegment(g.sort(compareEvents)))
        const all = segs.flatMap((s) => s.events).sort(compareEvents)
        const want = desc ? all.toReversed() : all
        expect([...mergeEvents(segs, desc)].map((e) => e.id)).toEqual(want.map((e) => e.id))
      },
    ),
    { numRuns: 500 },
  )
})

test('a dense window (ten types, ten 1 s segments each) merges in order, both ways', () => {
  const segs = []
  for (let s = 0; s < 10; s++) for (let t = 0; t < 10; t++) segs.push(makeSegment(Array.from({ length: 100 }, (_, i) => ev(`t${t}-${s}-${i}`, s * 1000 + i * 10 + t, 0))))
  const got = [...mergeEvents(segs.toReversed(), false)]
  expect(got.length).toBe(10_000)
  expect(got.every((e, i) => i === 0 || compareEvents(got[i - 1]!, e) < 0)).toBe(true)
  expect([...mergeEvents(segs, true)].map((e) => e.id)).toEqual(got.map((e) => e.id).toReversed())
})
