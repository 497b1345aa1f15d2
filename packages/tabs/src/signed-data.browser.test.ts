// With a key, events cross as signed text in the one type-preserving encoding: what structured
// clone carries arrives unchanged, and an event that cannot be carried is refused alone.
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import { afterEach, describe, expect, it } from 'vitest'
import { connectTabs, TABS_BRIDGE, type TabsBridge, type TabsIssue } from './connect-tabs.js'
import { uniqueChannel, waitFor } from './test-helpers.js'

const KEY = 'a shared secret of enough length'
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c()
})

function tab(channel: string): { bus: Bus; bridge: TabsBridge; got: TidingsEvent[]; issues: TabsIssue[] } {
  const bus = createBus()
  const bridge = connectTabs(bus, { channel, share: 'chat.**', key: KEY })
  const got: TidingsEvent[] = []
  const issues: TabsIssue[] = []
  bridge.issues$.subscribe((i) => issues.push(i))
  bus.subscribe('**', (e) => {
    if (bus.bridgedBy(e) === TABS_BRIDGE) got.push(e)
  })
  cleanups.push(() => bridge.close(), () => bus.shutdown())
  return { bus, bridge, got, issues }
}

describe('signed tabs keep data as it was sent', () => {
  it('1, { n: 1n }, 3 in one task all arrive, the BigInt intact', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    await Promise.all([a.bridge.ready, b.bridge.ready])
    a.bus.publish('chat.message', 1)
    a.bus.publish('chat.message', { n: 1n })
    a.bus.publish('chat.message', 3)
    await waitFor(() => b.got.length === 3, 'three events')
    expect(b.got.map((e) => e.data)).toEqual([1, { n: 1n }, 3])
    expect(a.bridge.stats().unsendable).toBe(0)
  })

  it('Map, Set, Date, RegExp, typed arrays, NaN, -0, undefined, holes and cycles arrive unchanged', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    await Promise.all([a.bridge.ready, b.bridge.ready])
    const data: Record<string, unknown> = {
      byId: new Map<unknown, unknown>([['u1', { at: new Date(0) }], [{ k: 1 }, 'object key']]),
      tags: new Set(['a', 'b']),
      re: /x+/gi,
      bytes: new Float64Array([1.5, -0]),
      nan: NaN,
      negZero: -0,
      inf: -Infinity,
      nothing: undefined,
      holes: Object.assign(new Array<number>(3), { 0: 1, 2: 3 }),
    }
    data['self'] = data
    a.bus.publish('chat.rich', data)
    await waitFor(() => b.got.length === 1, 'the event')
    const got = b.got[0]!.data as Record<string, unknown>
    expect(got).toEqual(structuredClone(data))
    expect(Object.is(got['negZero'], -0)).toBe(true)
    expect('nothing' in got).toBe(true)
    expect(1 in (got['holes'] as unknown[])).toBe(false)
    expect(got['self']).toBe(got)
    expect((got['byId'] as Map<unknown, { at: Date }>).get('u1')!.at).toBeInstanceOf(Date)
  })

  it('an event that cannot be carried is refused alone, with the path; its neighbours arrive', async () => {
    const ch = uniqueChannel()
    const a = tab(ch)
    const b = tab(ch)
    await Promise.all([a.bridge.ready, b.bridge.ready])
    a.bus.publish('chat.message', 'before')
    a.bus.publish('chat.message', { items: [{ cb: () => 1 }] })
    a.bus.publish('chat.message', 'after')
    await waitFor(() => b.got.length === 2, 'the two good events')
    expect(b.got.map((e) => e.data)).toEqual(['before', 'after'])
    await waitFor(() => a.bridge.stats().unsendable === 1, 'the refused event to be counted')
    const issue = a.issues.find((i) => i.kind === 'unsendable')!
    expect(issue.reason).toContain('chat.message')
    expect(issue.reason).toMatch(/items\[0\]\.cb is a function/)
  })
})
