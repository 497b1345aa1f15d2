import { describe, expect, it } from 'vitest'
import { encodeEvents, isEndpoint, parseMessage, TAG } from './protocol.js'

describe('parseMessage', () => {
  it('classifies bridge messages and ignores foreign ones', () => {
    expect(parseMessage({ tag: TAG, v: 1, kind: 'hello', origin: 'o', ack: false })).toEqual({ kind: 'hello', origin: 'o', ack: false })
    const cols = encodeEvents([
      { id: 'o:1', type: 'a.b', timestamp: 5, version: 1, data: { x: 1 }, origin: 'o', seq: 1 },
      { id: 'o:2', type: 'a.c', timestamp: 6, version: 1, data: null, origin: 'o', seq: 2, correlationId: 'c', metadata: { m: 1 }, ttlMs: 9 },
    ])
    expect(cols.extra).toEqual([0, { correlationId: 'c', metadata: { m: 1 }, ttlMs: 9 }])
    expect([cols.types, cols.type, cols.origins, cols.origin]).toEqual([['a.b', 'a.c'], [0, 1], ['o'], [0, 0]])
    expect(parseMessage({ tag: TAG, v: 1, kind: 'events', cols })).toEqual({
      kind: 'events',
      events: [
        { id: 'o:1', type: 'a.b', timestamp: 5, version: 1, data: { x: 1 }, origin: 'o', seq: 1 },
        { id: 'o:2', type: 'a.c', timestamp: 6, version: 1, data: null, origin: 'o', seq: 2, correlationId: 'c', metadata: { m: 1 }, ttlMs: 9 },
      ],
    })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'bye' })).toEqual({ kind: 'bye' })
    for (const foreign of [null, 1, 'x', {}, { tag: 'other' }, { id: 'comlink', type: 'APPLY' }]) expect(parseMessage(foreign)).toEqual({ kind: 'foreign' })
  })

  it('reports what is wrong with a malformed message', () => {
    expect(parseMessage({ tag: TAG, v: 2, kind: 'bye' })).toEqual({ kind: 'malformed', reason: 'unsupported protocol version 2' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'hello', origin: 1, ack: false })).toEqual({ kind: 'malformed', reason: 'hello needs origin and ack' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'events', cols: [] })).toEqual({ kind: 'malformed', reason: 'events batch has no id column' })
    const ragged = { ...encodeEvents([]), seq: [1] }
    expect(parseMessage({ tag: TAG, v: 1, kind: 'events', cols: ragged })).toEqual({ kind: 'malformed', reason: 'events batch column "seq" is missing or not 0 long' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'nope' })).toEqual({ kind: 'malformed', reason: 'unknown message kind "nope"' })
  })

  it('leaves a field undefined when its table index is bad (checkEnvelope then rejects it)', () => {
    const cols = { ...encodeEvents([{ id: 'o:1', type: 'a.b', timestamp: 5, version: 1, data: 1, origin: 'o', seq: 1 }]), type: [3], origin: ['x'] }
    const msg = parseMessage({ tag: TAG, v: 1, kind: 'events', cols })
    expect(msg).toMatchObject({ kind: 'events', events: [{ id: 'o:1', type: undefined, origin: undefined }] })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'events', cols: { ...cols, types: undefined } })).toEqual({ kind: 'malformed', reason: 'events batch has no types/origins table' })
  })

  it('recognises message endpoints', () => {
    const { port1 } = new MessageChannel()
    expect(isEndpoint(port1)).toBe(true)
    port1.close()
    for (const v of [null, {}, { postMessage() {} }, 'w']) expect(isEndpoint(v)).toBe(false)
  })
})
