import type { TidingsEvent } from '@tidings/core'
import { describe, expect, it } from 'vitest'
import { NatsMalformedError } from './errors.js'
import { encodeFrame } from './frame.js'
import { device, rawConnection, uniquePrefix, useNatsServer, waitFor } from './test-helpers.js'
import type { NatsIssue } from './types.js'

const ctx = useNatsServer()

function fake(type: string, over: Partial<TidingsEvent> = {}): TidingsEvent {
  return { id: 'x:1', type, timestamp: 1, version: 1, data: { evil: true }, origin: 'x', seq: 1, ...over }
}

describe('connectNats: hostile messages on the subject', () => {
  it('counts and ignores every message that is not a valid event on its own subject; real events still arrive', async () => {
    const subject = uniquePrefix()
    const a = device(ctx.server, { share: 'chat.**', subject })
    const b = device(ctx.server, { share: 'chat.**', subject })
    await Promise.all([a.bridge.whenConnected(), b.bridge.whenConnected()])
    await b.bridge.flush()
    const issues: NatsIssue[] = []
    b.bridge.errors$.subscribe((i) => issues.push(i))
    const got: TidingsEvent[] = []
    b.bus.on('chat.**').subscribe((e) => e.origin !== b.bus.origin && got.push(e))

    const raw = await rawConnection(ctx.server)
    const enc = new TextEncoder()
    const hostile: [string, Uint8Array][] = [
      [`${subject}.chat.x`, enc.encode('not an encoding')],
      [`${subject}.chat.x`, new Uint8Array([0xff, 0xfe, 0x00])], // not UTF-8
      [`${subject}.chat.x`, enc.encode('[{"n":1}]')], // decodes, not a batch
      [`${subject}.chat.x`, encodeFrame([{ event: fake('admin.secret'), incarnation: 'i', prev: -1 }])], // lies about its topic
      [`${subject}.chat.x`, encodeFrame([{ event: fake('chat.x', { timestamp: 'soon' as unknown as number }), incarnation: 'i', prev: -1 }])], // bad envelope
      [`${subject}.chat.x`, encodeFrame([{ event: fake('chat.x', { origin: '' }), incarnation: 'i', prev: -1 }])], // no origin
      [`${subject}.chat.x`, new Uint8Array(0)],
    ]
    for (const [s, data] of hostile) raw.publish(s, data)
    // A forged event in B's own name is an echo: dropped, never delivered.
    raw.publish(`${subject}.chat.x`, encodeFrame([{ event: fake('chat.x', { origin: b.bus.origin, id: `${b.bus.origin}:9`, seq: 9 }), incarnation: 'i', prev: -1 }]))
    await raw.flush()
    for (let i = 0; i < 5; i++) a.bus.publish('chat.x', { i })
    await waitFor(() => got.length === 5 && b.bridge.stats().malformed === hostile.length, 'the real events and the hostile count')
    expect(got.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })))
    expect(b.bridge.stats()).toMatchObject({ malformed: hostile.length, echoes: 1, received: 5 })
    expect(issues.filter((i) => i.kind === 'malformed')).toHaveLength(hostile.length)
    expect(issues.every((i) => i.error instanceof NatsMalformedError)).toBe(true)
    expect(issues.some((i) => i.error.message.includes('admin.secret'))).toBe(true)
    expect(b.bridge.status).toBe('connected')
  })

  it('a well-formed event from another publisher is delivered once, however often it is sent', async () => {
    const subject = uniquePrefix()
    const b = device(ctx.server, { share: 'chat.**', subject })
    await b.bridge.whenConnected()
    await b.bridge.flush()
    const got: TidingsEvent[] = []
    b.bus.on('chat.**').subscribe((e) => got.push(e))
    const raw = await rawConnection(ctx.server)
    const frame = encodeFrame([{ event: fake('chat.y', { id: 'peer:1', origin: 'peer' }), incarnation: 'inc1', prev: -1 }])
    for (let i = 0; i < 3; i++) raw.publish(`${subject}.chat.y`, frame)
    raw.publish(`${subject}.chat.y`, encodeFrame([{ event: fake('chat.y', { id: 'peer:2', origin: 'peer', seq: 2 }), incarnation: 'inc1', prev: 1 }]))
    await raw.flush()
    await waitFor(() => got.length === 2 && b.bridge.stats().duplicates === 2, 'one delivery each')
    expect(got.map((e) => e.id)).toEqual(['peer:1', 'peer:2'])
    expect(got[0]!.origin).toBe('peer')
    // A seq far past the session's highest is delivered but counted as implausible, not muted.
    const far = 2 + 2 ** 24 + 5
    raw.publish(`${subject}.chat.y`, encodeFrame([{ event: fake('chat.y', { id: `peer:${far}`, origin: 'peer', seq: far }), incarnation: 'inc1', prev: 2 }]))
    await raw.flush()
    await waitFor(() => got.length === 3, 'the implausible event')
    expect(b.bridge.stats()).toMatchObject({ implausible: 1, duplicates: 2, received: 3 })
  })
})
