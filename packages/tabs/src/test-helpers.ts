// Shared by the browser tests of this package (not exported from index.ts).
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import { afterEach } from 'vitest'
import { connectTabs, TABS_BRIDGE, type TabsBridge, type TabsOptions } from './connect-tabs.js'

export function uniqueChannel(prefix = 't'): string {
  return `${prefix}-${Math.random().toString(36).slice(2)}`
}

/** Polls until `check` returns true; fails with `what` after timeoutMs. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const start = performance.now()
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Reads `read` until `key` of it stays the same for `quietMs`, then returns the last read. */
export async function settled<T>(read: () => T, key: (v: T) => unknown, quietMs = 200, timeoutMs = 8000): Promise<T> {
  const start = performance.now()
  let last = read()
  for (;;) {
    await new Promise((r) => setTimeout(r, quietMs))
    const now = read()
    if (key(now) === key(last) || performance.now() - start > timeoutMs) return now
    last = now
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A raw channel object on the bridge's channel, for posting garbage or listening to the wire. */
export function rawChannel(channel: string): BroadcastChannel {
  return new BroadcastChannel(`tidings.tabs:${channel}`)
}

export function envelope(origin: string, seq: number, type = 'chat.message', data: unknown = { n: seq }): TidingsEvent {
  return { id: `${origin}:${seq}`, type, timestamp: Date.now(), version: 1, data, origin, seq }
}

/** A batch message like the bridge posts, built by hand so that it tolerates broken envelopes
 *  (tests post garbage). Ids are sent explicitly unless `canonical` (then receivers rebuild
 *  `origin:seq`). Every event is in the session (its origin, `incarnation`). */
export function batch(from: string, events: object[], prev?: number[], canonical = false, incarnation = 'inc-1'): { tag: string; v: number; kind: string; from: string; batch: Record<string, unknown> } {
  const list = events as Record<string, unknown>[]
  const so: unknown[] = []
  const sx = list.map((e) => {
    const i = so.indexOf(e['origin'])
    return i >= 0 ? i : so.push(e['origin']) - 1
  })
  const tt: unknown[] = []
  const tx = list.map((e) => {
    const i = tt.indexOf(e['type'])
    return i >= 0 ? i : tt.push(e['type']) - 1
  })
  const columns: Record<string, unknown> = {
    n: list.length,
    ev: 1,
    so,
    si: so.map(() => incarnation),
    sx,
    s: list.map((e) => e['seq']),
    p: prev ?? list.map(() => -1),
    tt,
    tx,
    ts: list.map((e) => e['timestamp']),
    d: list.map((e) => e['data']),
  }
  if (!canonical) columns['id'] = list.map((e) => e['id'])
  return { tag: 'tidings.tabs', v: 1, kind: 'batch', from, batch: columns }
}

/** A batch message with some of its columns replaced. */
export function withColumns(msg: ReturnType<typeof batch>, columns: Record<string, unknown>): ReturnType<typeof batch> {
  return { ...msg, batch: { ...msg.batch, ...columns } }
}

/** Tabs for one test file: two buses in one page, each with its own bridge (hence its own channel
 *  object), behave like two tabs. Everything made is closed after each test. */
export function tabHarness(): {
  tab(channel: string, opts?: TabsOptions, busOpts?: { name?: string; origin?: string }): { bus: Bus; bridge: TabsBridge; got: TidingsEvent[] }
  raw(channel: string): BroadcastChannel
  cleanups: (() => unknown)[]
} {
  const cleanups: (() => unknown)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).toReversed()) await c()
  })
  return {
    cleanups,
    tab(channel, opts = {}, busOpts = {}) {
      const bus = createBus(busOpts)
      const bridge = connectTabs(bus, { channel, share: 'chat.**', ...opts })
      const got: TidingsEvent[] = []
      bus.subscribe('**', (e) => {
        if (bus.bridgedBy(e) === TABS_BRIDGE) got.push(e)
      })
      cleanups.push(() => bridge.close(), () => bus.shutdown())
      return { bus, bridge, got }
    },
    raw(channel) {
      const bc = rawChannel(channel)
      cleanups.push(() => bc.close())
      return bc
    },
  }
}
