import { encodeBatch } from '@tidings/core/bridge'
import { describe, expect, it } from 'vitest'
import { isEndpoint, parseMessage, TAG } from './protocol.js'

const hello = { tag: TAG, v: 1, kind: 'hello', origin: 'o', incarnation: 'i1', nonce: 'n1', ack: false }

describe('parseMessage', () => {
  it('classifies bridge messages and ignores foreign ones', () => {
    expect(parseMessage(hello)).toEqual({ kind: 'hello', origin: 'o', incarnation: 'i1', nonce: 'n1', ack: false })
    const batch = encodeBatch([
      { event: { id: 'o:1', type: 'a.b', timestamp: 5, version: 1, data: { x: 1 }, origin: 'o', seq: 1 }, incarnation: 'i1', prev: -1 },
      { event: { id: 'o:2', type: 'a.c', timestamp: 6, version: 1, data: null, origin: 'o', seq: 2, correlationId: 'c' }, incarnation: 'i1', prev: 1 },
    ])
    expect(parseMessage({ tag: TAG, v: 1, kind: 'events', batch })).toEqual({ kind: 'events', batch })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'ack', batches: 3 })).toEqual({ kind: 'ack', batches: 3 })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'ping' })).toEqual({ kind: 'ping' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'bye', nonce: 'n1' })).toEqual({ kind: 'bye', nonce: 'n1' })
    for (const foreign of [null, 1, 'x', {}, { tag: 'other' }, { id: 'comlink', type: 'APPLY' }, { tag: 'tidings.pool', v: 1, kind: 'connect' }])
      expect(parseMessage(foreign)).toEqual({ kind: 'foreign' })
  })

  it('reports what is wrong with a malformed message', () => {
    expect(parseMessage({ tag: TAG, v: 2, kind: 'bye', nonce: 'n' })).toEqual({ kind: 'malformed', reason: 'unsupported tidings.worker protocol version 2 (this side speaks 1)' })
    expect(parseMessage({ ...hello, origin: 1 })).toEqual({ kind: 'malformed', reason: 'hello needs origin, incarnation, nonce and ack' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'events', batch: [] })).toEqual({ kind: 'malformed', reason: 'events batch is not an object' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'ack', batches: -1 })).toEqual({ kind: 'malformed', reason: 'ack needs a batch count' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'bye' })).toEqual({ kind: 'malformed', reason: 'bye needs the nonce of its hello' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'nope' })).toEqual({ kind: 'malformed', reason: 'unknown message kind "nope"' })
    const hostile = { tag: TAG, v: 1, kind: 'ack', get batches(): number { throw new Error('x') } }
    expect(parseMessage(hostile)).toEqual({ kind: 'malformed', reason: 'message could not be read' })
  })

  it('recognises message endpoints', () => {
    const { port1 } = new MessageChannel()
    expect(isEndpoint(port1)).toBe(true)
    port1.close()
    for (const v of [null, {}, { postMessage() {} }, 'w']) expect(isEndpoint(v)).toBe(false)
  })
})
