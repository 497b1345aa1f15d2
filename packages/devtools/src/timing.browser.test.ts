// Per-handler timing in real Chromium: off by default (no deliver items; each publish item carries
// its receipt), on with connectDevtools({ timing: true }) or the panel's nonce-checked command.
import { afterEach, describe, expect, it } from 'vitest'
import type { PublishReceipt } from '@tidings/core'
import { type SnapshotMsg, type WireItem, msg } from './protocol.js'
import { cleanup, post, publishes, session, tick, until } from './test-helpers.js'

afterEach(cleanup)

const label = (i: WireItem) => (i.kind === 'publish' ? `publish:${i.event.type}` : i.kind)
const lastSnapshot = (s: Awaited<ReturnType<typeof session>>['s']) => s.of('snapshot').at(-1) as SnapshotMsg

describe('per-handler timing', () => {
  it('is off by default: no deliver items, publish items carry each receipt, in order, with errors, drops and subscriptions', async () => {
    const { bus, s } = await session()
    expect(s.of('ready')[0]!.agent.timing).toBe(false)
    let open: (() => void) | undefined
    const gate = new Promise<void>((r) => (open = r))
    const sync = bus.subscribe('order.*', () => {})
    const slow = bus.subscribe('order.*', () => gate, { queue: { max: 1, strategy: 'drop-newest' } })
    const failing = bus.subscribe('order.failed', () => {
      throw new Error('boom')
    })
    const receipts: PublishReceipt[] = []
    for (const type of ['order.a', 'order.b', 'order.c', 'order.failed']) receipts.push(bus.publish(type, { type }))
    open?.()
    failing.unsubscribe()
    await until(() => s.items().some((i) => i.kind === 'unsubscribe'), 'the unsubscribe item')
    await tick(150)

    const items = s.items()
    expect(items.filter((i) => i.kind === 'deliver')).toEqual([])
    const pubs = publishes(s).filter((p) => p.event.type.startsWith('order.'))
    expect(pubs.map((p) => p.event.type)).toEqual(['order.a', 'order.b', 'order.c', 'order.failed'])
    expect(pubs.map((p) => p.receipt)).toEqual(receipts)
    // the queue held one and dropped the newest: the receipts say so (not all delivered)
    expect(receipts.map((r) => [r.matched, r.delivered, r.queued, r.dropped])).toEqual([
      [2, 1, 1, 0],
      [2, 1, 0, 1],
      [2, 1, 0, 1],
      [3, 2, 0, 1], // a handler that threw was still delivered to
    ])
    const drops = items.filter((i) => i.kind === 'drop')
    expect(drops.map((d) => [d.eventId, d.sub])).toEqual(pubs.slice(1).map((p) => [p.event.id, slow.id]))
    const error = items.find((i) => i.kind === 'error')
    expect(error?.kind === 'error' && [error.eventId, error.sub, error.error.message]).toEqual([pubs[3]!.event.id, failing.id, 'boom'])
    expect(items.filter((i) => i.kind === 'subscribe').map((i) => i.kind === 'subscribe' && i.subscription.id)).toEqual([sync.id, slow.id, failing.id])
    // each event's items before its publish item (in subscription order: the queue's drop, then
    // the error and the $tidings.error it publishes), and before the next event's
    const seq = items.map(label).filter((k) => k !== 'subscribe')
    expect(seq).toEqual(['publish:order.a', 'drop', 'publish:order.b', 'drop', 'publish:order.c', 'drop', 'error', 'publish:$tidings.error', 'publish:order.failed', 'unsubscribe'])
    expect(s.invalid).toEqual([])
  })

  it('streams a deliver item per delivery with connectDevtools({ timing: true })', async () => {
    const { bus, s } = await session({ timing: true })
    expect(s.of('ready')[0]!.agent.timing).toBe(true)
    const a = bus.subscribe('t.*', () => {})
    const b = bus.subscribe('t.x', () => {})
    const r = bus.publish('t.x', 1)
    await until(() => publishes(s).length === 1, 'the publish item')
    const items = s.items().filter((i) => i.kind !== 'subscribe')
    expect(items.map(label)).toEqual(['deliver', 'deliver', 'publish:t.x'])
    expect(items.flatMap((i) => (i.kind === 'deliver' ? [[i.eventId, i.sub, i.attempt, typeof i.ms]] : []))).toEqual([
      [r.id, a.id, 1, 'number'],
      [r.id, b.id, 1, 'number'],
    ])
  })

  it('the panel switches it on and off with a command carrying the session nonce; bye restores the option', async () => {
    const { bus, agent, s } = await session({}, 'good')
    const sub = bus.subscribe('k.*', () => {})
    const deliveredIds = () => s.items().flatMap((i) => (i.kind === 'deliver' ? [i.eventId] : []))

    post(msg({ kind: 'command', nonce: 'forged', id: 'f', command: { op: 'timing', on: true } }))
    post(msg({ kind: 'command', nonce: 'good', id: 'bad', command: { op: 'timing', on: 'yes' } as never }))
    await tick(30)
    const one = bus.publish('k.one', 1)

    post(msg({ kind: 'command', nonce: 'good', id: 'on', command: { op: 'timing', on: true } }))
    await until(() => s.of('result').length === 1 && lastSnapshot(s).timing === true, 'timing on')
    expect(s.of('result')[0]).toMatchObject({ id: 'on', ok: true })
    const two = bus.publish('k.two', 2)

    post(msg({ kind: 'command', nonce: 'good', id: 'off', command: { op: 'timing', on: false } }))
    await until(() => s.of('result').length === 2 && lastSnapshot(s).timing === false, 'timing off')
    const three = bus.publish('k.three', 3)
    await until(() => publishes(s).length === 3, 'three publish items')

    expect(publishes(s).map((p) => [p.event.id, p.receipt.delivered])).toEqual([
      [one.id, 1],
      [two.id, 1],
      [three.id, 1],
    ])
    expect(deliveredIds()).toEqual([two.id])
    expect(s.items().find((i) => i.kind === 'deliver')).toMatchObject({ sub: sub.id })
    // the forged and the malformed command were not obeyed
    expect(agent.stats().ignored).toBe(2)

    // a toggle lasts for its session: after bye (and recording), a new session starts from the option
    post(msg({ kind: 'command', nonce: 'good', id: 'on2', command: { op: 'timing', on: true } }))
    await until(() => s.of('result').length === 3, 'timing on again')
    post(msg({ kind: 'bye', nonce: 'good' }))
    await until(() => !agent.connected, 'bye')
    post(msg({ kind: 'hello', nonce: 'next', leaseMs: 60_000 }))
    await until(() => s.of('ready').length === 2, 'second ready')
    expect(s.of('ready')[1]!.agent.timing).toBe(false)
    const four = bus.publish('k.four', 4)
    await until(() => publishes(s).some((p) => p.event.id === four.id), 'the fourth publish item')
    expect(deliveredIds()).toEqual([two.id])
  })
})
