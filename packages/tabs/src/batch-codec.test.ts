import { describe, expect, it } from 'vitest'
import type { TidingsEvent } from '@tidings/core'
import { decodeEvent, encodeBatch, isCanonicalId } from './batch-codec.js'

const ev = (origin: string, seq: number, extra: Partial<TidingsEvent> = {}): TidingsEvent => ({
  id: `${origin}:${seq}`,
  type: 'a.b',
  timestamp: 1000 + seq,
  version: 1,
  data: { seq },
  origin,
  seq,
  ...extra,
})

describe('batch codec', () => {
  it('round-trips envelopes, sending only the ids and optional fields that need it', () => {
    const events = [
      ev('o1', 1),
      ev('o2', 7, { correlationId: 'c', metadata: { m: 1 }, priority: 2, source: { component: 'x' }, persistent: true, ttlMs: 5, causationId: 'z' }),
      ev('o1', 2, { id: 'custom-id' }),
      ev('o1', 3, { data: undefined }),
    ]
    const msg = encodeBatch('from', events, [-1, -1, 1, 2])
    expect(msg.o).toEqual(['o1', 'o2'])
    expect(msg.oi).toEqual([0, 1, 0, 0])
    expect(msg.id).toEqual([null, null, 'custom-id', null])
    expect(msg.x?.[0]).toBeNull()
    expect(msg.p).toEqual([-1, -1, 1, 2])
    const back = events.map((_, i) => decodeEvent(msg, i))
    back.forEach((r, i) => {
      expect(r.ok).toBe(true)
      if (r.ok) expect(r.candidate).toEqual(events[i])
    })
    expect(back.map((r) => r.ok && r.canonical)).toEqual([true, true, false, true])
  })

  it('leaves out id and extras columns when nothing needs them', () => {
    const msg = encodeBatch('from', [ev('o', 1), ev('o', 2)], [-1, 1])
    expect(msg.id).toBeUndefined()
    expect(msg.x).toBeUndefined()
  })

  it('never copies unknown keys from extras', () => {
    const msg = encodeBatch('from', [ev('o', 1)], [-1])
    msg.x = [JSON.parse('{"__proto__": {"polluted": true}, "evil": 1, "priority": 3}') as Record<string, unknown>]
    const r = decodeEvent(msg, 0)
    expect(r.ok).toBe(true)
    if (r.ok) {
      expect(r.candidate['priority']).toBe(3)
      expect('evil' in r.candidate).toBe(false)
      expect((r.candidate as { polluted?: unknown }).polluted).toBeUndefined()
    }
  })

  it('reports structural garbage', () => {
    const msg = encodeBatch('from', [ev('o', 1)], [-1])
    expect(decodeEvent({ ...msg, oi: [4] }, 0)).toMatchObject({ ok: false })
    expect(decodeEvent({ ...msg, id: [42 as unknown as string] }, 0)).toMatchObject({ ok: false })
    expect(decodeEvent({ ...msg, x: ['str' as unknown as Record<string, unknown>] }, 0)).toMatchObject({ ok: false })
  })

  it('recognises bus-made ids', () => {
    expect(isCanonicalId(ev('ctx-a', 12))).toBe(true)
    expect(isCanonicalId(ev('ctx-a', 12, { id: 'ctx-a:13' }))).toBe(false)
    expect(isCanonicalId(ev('ctx-a', 12, { id: 'ctx-b:12' }))).toBe(false)
    expect(isCanonicalId(ev('ctx-a', 12, { id: 'ctx-a12' }))).toBe(false)
  })
})
