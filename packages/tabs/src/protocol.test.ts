import { encodeBatch, MAX_BATCH_EVENTS } from '@tidings/core/bridge'
import { describe, expect, it } from 'vitest'
import { parseWire } from './protocol.js'

const base = { tag: 'tidings.tabs', v: 1, from: 'tab-1' }
const batch = encodeBatch([{ event: { id: 'o:0', type: 'a', timestamp: 1, version: 1, data: null, origin: 'o', seq: 0 }, incarnation: 'i', prev: -1 }])
const okBatch = { ...base, kind: 'batch', batch }
const hello = { ...base, kind: 'hello', origin: 'o', incarnation: 'i', name: 'n' }

describe('parseWire', () => {
  it('accepts the message kinds it speaks', () => {
    expect(parseWire({ ...hello, ask: true })).toEqual({ ok: true, msg: { ...hello, ask: true } })
    expect(parseWire({ ...hello, kind: 'heartbeat' }).ok).toBe(true)
    expect(parseWire({ ...base, kind: 'bye' })).toEqual({ ok: true, msg: { ...base, kind: 'bye' } })
    expect(parseWire(okBatch)).toEqual({ ok: true, msg: okBatch })
  })

  it.each([
    ['garbage string', 'hello'],
    ['null', null],
    ['an array', [1, 2]],
    ['another tag', { ...base, tag: 'other' }],
    ['the old tag key', { t: 'tidings.tabs', v: 1, kind: 'bye', from: 'x' }],
    ['another version', { ...base, v: 2, kind: 'bye' }],
    ['no from', { tag: 'tidings.tabs', v: 1, kind: 'bye' }],
    ['unknown kind', { ...base, kind: 'explode' }],
    ['hello without origin', { ...base, kind: 'hello', incarnation: 'i', name: 'n' }],
    ['hello without incarnation', { ...base, kind: 'hello', origin: 'o', name: 'n' }],
    ['empty batch', { ...okBatch, batch: { ...batch, n: 0 } }],
    ['n not an integer', { ...okBatch, batch: { ...batch, n: 1.5 } }],
    ['column of the wrong length', { ...okBatch, batch: { ...batch, s: [0, 1] } }],
    ['missing column', { ...okBatch, batch: { ...batch, d: undefined } }],
    ['empty sessions table', { ...okBatch, batch: { ...batch, so: [] } }],
    ['bad id column', { ...okBatch, batch: { ...batch, id: 'x' } }],
    ['signed without sig', { tag: 'tidings.tabs', v: 1, kind: 'signed', body: '{}' }],
    ['signed with short sig', { tag: 'tidings.tabs', v: 1, kind: 'signed', body: '{}', sig: new Uint8Array(4) }],
  ])('rejects %s', (_label, input) => {
    const r = parseWire(input)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(0)
  })

  it('rejects batches over the size bound', () => {
    expect(parseWire({ ...okBatch, batch: { ...batch, n: MAX_BATCH_EVENTS + 1 } }).ok).toBe(false)
  })
})
