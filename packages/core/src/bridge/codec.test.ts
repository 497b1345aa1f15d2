import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { TidingsEvent } from '../envelope.js'
import { checkEnvelope } from '../validate-envelope.js'
import { checkBatch, decodeEvent, encodeBatch, isCanonicalId, NO_PREV } from './codec.js'

const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}$/)
const topic = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'))
const origin = fc.constantFrom('tab-a', 'tab-b', 'worker-1')
const event: fc.Arbitrary<TidingsEvent> = fc
  .record(
    {
      type: topic,
      timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
      data: fc.jsonValue(),
      origin,
      seq: fc.nat(),
      canonical: fc.boolean(),
      correlationId: fc.string({ maxLength: 8 }),
      causationId: fc.string({ maxLength: 8 }),
      metadata: fc.dictionary(segment, fc.jsonValue(), { maxKeys: 3 }),
      priority: fc.integer({ min: -5, max: 5 }),
      persistent: fc.boolean(),
      ttlMs: fc.integer({ min: 1, max: 10_000 }),
      source: fc.record({ component: fc.string({ maxLength: 5 }) }),
    },
    { requiredKeys: ['type', 'timestamp', 'data', 'origin', 'seq', 'canonical'] },
  )
  .map(({ canonical, ...e }) => ({ ...e, id: canonical ? `${e.origin}:${e.seq}` : `custom-${e.seq}`, version: 1 as const }))

describe('the envelope codec', () => {
  it('round-trips any batch of envelopes, with sessions and prev', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.constantFrom('i1', 'i2', ''), fc.integer({ min: NO_PREV, max: 1000 })), { minLength: 1, maxLength: 30 }), (items) => {
        const batch = structuredClone(encodeBatch(items.map(([e, incarnation, prev]) => ({ event: e, incarnation, prev }))))
        expect(checkBatch(batch)).toBeUndefined()
        items.forEach(([e, incarnation, prev], i) => {
          const d = decodeEvent(batch, i)
          if (!d.ok) throw new Error(d.reason)
          expect(d.incarnation).toBe(incarnation)
          expect(d.prev).toBe(prev)
          expect(d.canonical).toBe(isCanonicalId(e))
          const check = checkEnvelope(d.candidate)
          expect(check.ok).toBe(true)
          expect(d.candidate).toEqual(e)
        })
      }),
      { numRuns: 300 },
    )
  })

  it('does not send ids the bus made, and sends the others', () => {
    const e1: TidingsEvent = { id: 'tab-a:7', type: 'a.b', timestamp: 1, version: 1, data: 1, origin: 'tab-a', seq: 7 }
    const e2: TidingsEvent = { ...e1, id: 'import-1', seq: 8 }
    const b = encodeBatch([
      { event: e1, incarnation: 'x', prev: NO_PREV },
      { event: e2, incarnation: 'x', prev: 7 },
    ])
    expect(b.id).toEqual([null, 'import-1'])
    expect(b.so).toEqual(['tab-a'])
    expect(b.tt).toEqual(['a.b'])
  })

  it('refuses broken batches with a reason, never a throw', () => {
    const good = encodeBatch([{ event: { id: 'o:1', type: 'a', timestamp: 1, version: 1, data: null, origin: 'o', seq: 1 }, incarnation: 'i', prev: NO_PREV }])
    const cases: Array<[unknown, string]> = [
      [null, 'events batch is not an object'],
      [{ ...good, n: 0 }, 'events batch n must be an integer in 1..100000'],
      [{ ...good, d: [] }, 'events batch column d must be an array of n = 1'],
      [{ ...good, id: 'x' }, 'events batch column id must be an array of n = 1'],
      [{ ...good, so: [] }, 'events batch table so must be a non-empty array of at most n entries'],
      [{ ...good, si: ['a', 'b'], so: ['o'] }, 'events batch table si must be a non-empty array of at most n entries'],
      [
        Object.defineProperty({ ...good }, 'n', {
          get() {
            throw new Error('boom')
          },
        }),
        'events batch could not be read',
      ],
    ]
    for (const [input, reason] of cases) expect(checkBatch(input)).toBe(reason)
    expect(decodeEvent({ ...good, sx: [3] }, 0)).toEqual({ ok: false, reason: 'session index out of range' })
    expect(decodeEvent({ ...good, p: [-2] }, 0)).toEqual({ ok: false, reason: 'prev must be an integer >= -1' })
    expect(decodeEvent({ ...good, x: [[1]] as never }, 0)).toEqual({ ok: false, reason: 'extras must be an object' })
    // Unknown keys in the extras do not ride along.
    const d = decodeEvent({ ...good, x: [{ correlationId: 'c', __proto__: { evil: 1 }, other: 2 } as never] }, 0)
    expect(d.ok && Object.keys(d.candidate).sort()).toEqual(['correlationId', 'data', 'id', 'origin', 'seq', 'timestamp', 'type', 'version'])
  })
})
