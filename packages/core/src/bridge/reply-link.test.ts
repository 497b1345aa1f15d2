// ReplyLink with two buses joined back to back in one process (pure logic; the real transports
// are tested in the tabs and worker packages): answers, typed failures, hostile input, no leaks.
import { describe, expect, it } from 'vitest'
import { createBus } from '../index.js'
import { NoResponderError, RemoteError } from '../errors.js'
import { ResponderGoneError } from '../request-reply.js'
import { bridgeHost } from './host.js'
import { ReplyLink, type ReplyMessage } from './reply-link.js'

function pair() {
  const a = createBus({ origin: 'a' })
  const b = createBus({ origin: 'b' })
  const links: { a?: ReplyLink; b?: ReplyLink } = {}
  const sent: ReplyMessage[] = []
  const make = (bus: typeof a, id: string, other: 'a' | 'b') =>
    new ReplyLink({
      id,
      host: bridgeHost(bus, 'test'),
      accepts: (t) => t.startsWith('calc.'),
      // Delivered on a microtask, as a channel would.
      send: (m) => {
        sent.push(m)
        queueMicrotask(() => links[other]!.receive(m.kind, structuredClone(m) as unknown as Record<string, unknown>))
      },
      announce: (p) => links[other]!.peerServes(id, bus.origin, p),
    })
  links.a = make(a, 'link-a', 'b')
  links.b = make(b, 'link-b', 'a')
  return { a, b, la: links.a, lb: links.b, sent }
}

const pending = (bus: object) => (bus as { pendingTracked: number }).pendingTracked

describe('ReplyLink', () => {
  it("answers a request with the other bus's reply(), and fails at once when nothing serves the type", async () => {
    const { a, b, la } = pair()
    await expect(a.request('calc.add', { x: 1 })).rejects.toBeInstanceOf(NoResponderError)
    b.reply('calc.add', (e) => (e.data as { x: number }).x + 1)
    expect(la.registry.pick('calc.add')?.origin).toBe('b')
    expect(await Promise.all([1, 2, 3].map((x) => a.request('calc.add', { x })))).toEqual([2, 3, 4])
    b.reply('calc.fail', () => {
      throw new SyntaxError('bad')
    })
    const err = await a.request('calc.fail', 1).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RemoteError)
    expect((err as RemoteError).remoteName).toBe('SyntaxError')
    expect([pending(a), pending(b), la.sizes.pending]).toEqual([0, 0, 0])
  })

  it('rejects with ResponderGoneError when the serving side closes, and leaves nothing pending', async () => {
    const { a, b, la, lb } = pair()
    b.reply('calc.slow', () => new Promise(() => {}))
    const slow = a.request('calc.slow', 1, { timeoutMs: 60_000 }).catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, 5))
    expect(lb.sizes.serving).toBe(1)
    lb.close('test closed it')
    expect(await slow).toBeInstanceOf(ResponderGoneError)
    expect([pending(a), la.sizes.pending, lb.sizes.serving]).toEqual([0, 0, 0])
  })

  it('reports hostile or malformed messages as reasons and never throws', () => {
    const { la } = pair()
    const hostile = new Proxy({}, { get: () => { throw new Error('boom') } }) as Record<string, unknown>
    expect(la.receive('request', hostile)).toMatch(/could not be read/)
    expect(la.receive('request', { from: 'x', to: 'link-a' })).toMatch(/from, to and rid/)
    expect(la.receive('request', { from: 'x', to: 'link-a', rid: '1', timeoutMs: -1 })).toMatch(/timeoutMs/)
    expect(la.receive('request', { from: 'x', to: 'link-a', rid: '1', timeoutMs: 10, batch: { n: 2 } })).toBeTypeOf('string')
    expect(la.receive('reply', { from: 'x', to: 'link-a', rid: '1' })).toMatch(/ok/)
    // Addressed to someone else, or an answer nobody waits for: ignored quietly.
    expect(la.receive('request', { from: 'x', to: 'other', rid: '1' })).toBeUndefined()
    expect(la.receive('reply', { from: 'x', to: 'link-a', rid: '99', ok: true, value: 1 })).toBeUndefined()
    // A peer announcing garbage patterns is ignored, not thrown.
    expect(() => la.peerServes('p', 'o', [1, null, 'calc.[', 'x'.repeat(500)])).not.toThrow()
  })
})
