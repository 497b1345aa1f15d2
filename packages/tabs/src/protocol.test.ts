import { describe, expect, it } from 'vitest'
import { MAX_BATCH, parseWire } from './protocol.ts'

const base = { t: 'tidings.tabs', v: 1, from: 'tab-1' }

describe('parseWire', () => {
  it('accepts the message kinds it speaks', () => {
    expect(parseWire({ ...base, kind: 'hello', origin: 'o', name: 'n', ask: true }).ok).toBe(true)
    expect(parseWire({ ...base, kind: 'heartbeat', origin: 'o', name: 'n' }).ok).toBe(true)
    expect(parseWire({ ...base, kind: 'bye' }).ok).toBe(true)
    expect(parseWire({ ...base, kind: 'batch', events: [{}], prev: [-1] }).ok).toBe(true)
  })

  it.each([
    ['garbage string', 'hello'],
    ['null', null],
    ['an array', [1, 2]],
    ['another tag', { ...base, t: 'other' }],
    ['another version', { ...base, v: 2, kind: 'bye' }],
    ['no from', { t: 'tidings.tabs', v: 1, kind: 'bye' }],
    ['unknown kind', { ...base, kind: 'explode' }],
    ['hello without origin', { ...base, kind: 'hello', name: 'n' }],
    ['empty batch', { ...base, kind: 'batch', events: [], prev: [] }],
    ['prev length mismatch', { ...base, kind: 'batch', events: [{}, {}], prev: [-1] }],
    ['bad prev', { ...base, kind: 'batch', events: [{}], prev: [-5] }],
    ['bad u', { ...base, kind: 'batch', events: [{}], prev: [-1], u: [3] }],
    ['signed without sig', { t: 'tidings.tabs', v: 1, kind: 'signed', body: '{}' }],
    ['signed with short sig', { t: 'tidings.tabs', v: 1, kind: 'signed', body: '{}', sig: new Uint8Array(4) }],
  ])('rejects %s', (_label, input) => {
    const r = parseWire(input)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(0)
  })

  it('rejects batches over the size bound', () => {
    const n = MAX_BATCH + 1
    expect(parseWire({ ...base, kind: 'batch', events: Array.from({ length: n }, () => ({})), prev: new Array(n).fill(-1) }).ok).toBe(false)
  })
})
