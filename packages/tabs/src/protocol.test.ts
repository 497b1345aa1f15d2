import { describe, expect, it } from 'vitest'
import { MAX_BATCH, parseWire } from './protocol.js'

const base = { t: 'tidings.tabs', v: 1, from: 'tab-1' }
const okBatch = { ...base, kind: 'batch', n: 1, ev: 1, o: ['o'], oi: [0], s: [0], p: [-1], ty: ['a'], ts: [1], d: [null] }

describe('parseWire', () => {
  it('accepts the message kinds it speaks', () => {
    expect(parseWire({ ...base, kind: 'hello', origin: 'o', name: 'n', ask: true }).ok).toBe(true)
    expect(parseWire({ ...base, kind: 'heartbeat', origin: 'o', name: 'n' }).ok).toBe(true)
    expect(parseWire({ ...base, kind: 'bye' }).ok).toBe(true)
    expect(parseWire(okBatch).ok).toBe(true)
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
    ['empty batch', { ...okBatch, n: 0 }],
    ['n not an integer', { ...okBatch, n: 1.5 }],
    ['column of the wrong length', { ...okBatch, s: [0, 1] }],
    ['missing column', { ...okBatch, d: undefined }],
    ['empty origins table', { ...okBatch, o: [] }],
    ['bad id column', { ...okBatch, id: 'x' }],
    ['bad u', { ...okBatch, u: [3] }],
    ['signed without sig', { t: 'tidings.tabs', v: 1, kind: 'signed', body: '{}' }],
    ['signed with short sig', { t: 'tidings.tabs', v: 1, kind: 'signed', body: '{}', sig: new Uint8Array(4) }],
  ])('rejects %s', (_label, input) => {
    const r = parseWire(input)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(0)
  })

  it('rejects batches over the size bound', () => {
    expect(parseWire({ ...okBatch, n: MAX_BATCH + 1 }).ok).toBe(false)
  })
})
