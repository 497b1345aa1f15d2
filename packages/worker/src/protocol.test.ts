import { describe, expect, it } from 'vitest'
import { isEndpoint, parseMessage, TAG } from './protocol.ts'

describe('parseMessage', () => {
  it('classifies bridge messages and ignores foreign ones', () => {
    expect(parseMessage({ tag: TAG, v: 1, kind: 'hello', origin: 'o', ack: false })).toEqual({ kind: 'hello', origin: 'o', ack: false })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'events', events: [1] })).toEqual({ kind: 'events', events: [1] })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'bye' })).toEqual({ kind: 'bye' })
    for (const foreign of [null, 1, 'x', {}, { tag: 'other' }, { id: 'comlink', type: 'APPLY' }]) expect(parseMessage(foreign)).toEqual({ kind: 'foreign' })
  })

  it('reports what is wrong with a malformed message', () => {
    expect(parseMessage({ tag: TAG, v: 2, kind: 'bye' })).toEqual({ kind: 'malformed', reason: 'unsupported protocol version 2' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'hello', origin: 1, ack: false })).toEqual({ kind: 'malformed', reason: 'hello needs origin and ack' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'events', events: {} })).toEqual({ kind: 'malformed', reason: 'events must be an array' })
    expect(parseMessage({ tag: TAG, v: 1, kind: 'nope' })).toEqual({ kind: 'malformed', reason: 'unknown message kind "nope"' })
  })

  it('recognises message endpoints', () => {
    const { port1 } = new MessageChannel()
    expect(isEndpoint(port1)).toBe(true)
    port1.close()
    for (const v of [null, {}, { postMessage() {} }, 'w']) expect(isEndpoint(v)).toBe(false)
  })
})
