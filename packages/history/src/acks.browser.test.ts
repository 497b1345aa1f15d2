// What an acknowledgement means, in real Chromium: publishAsync of a persistent event resolves only
// after the transaction holding it has committed, also when the history is closed or detached in
// the same task as the publishes (they were under way; close() finishes them and then closes).
import { createBus } from '@tidings/core'
import { expect, test } from 'vitest'
import { HistoryClosedError } from './index.js'
import { historyHarness, readRaw } from './test-helpers.js'

const { open } = historyHarness()

/** Settles every promise; returns how many resolved and the rejections. */
async function outcomes(ps: Array<Promise<unknown>>): Promise<{ resolved: number; rejected: unknown[] }> {
  const rs = await Promise.allSettled(ps)
  return { resolved: rs.filter((r) => r.status === 'fulfilled').length, rejected: rs.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])) }
}

test('close() in the same task as 200 persistent publishAsync: all 200 are stored before close() resolves, and each ack resolves after its commit', async () => {
  const { h, dbName } = open('close-same-task')
  const bus = createBus()
  h.attach(bus)
  await h.ready
  const acks = Array.from({ length: 200 }, (_, i) => bus.publishAsync('order.placed', { i }, { persistent: true }))
  const closed = h.close()
  // Each ack resolves only once its event is readable from another connection.
  const seenAtAck = acks.map((p, i) => p.then(async () => (await readRaw(dbName)).some((r) => (r.data as { i: number }).i === i)))
  await closed
  expect(await outcomes(acks)).toEqual({ resolved: 200, rejected: [] })
  expect((await Promise.all(seenAtAck)).filter(Boolean)).toHaveLength(200)
  const raw = await readRaw(dbName)
  expect(raw.map((r) => (r.data as { i: number }).i)).toEqual([...Array(200).keys()])
  expect(raw.every((r) => r.type === 'order.placed' && r.persistent === true)).toBe(true)
  expect(h.stats()).toMatchObject({ written: 200, pending: 0, failed: 0 })
  expect(h.status).toBe('closed')
})

test('close() while the database is still opening: the 200 publishAsync of the same task are stored', async () => {
  const { h, dbName } = open('close-opening')
  const bus = createBus()
  h.attach(bus)
  expect(h.status).toBe('opening')
  const acks = Array.from({ length: 200 }, (_, i) => bus.publishAsync('order.placed', i, { persistent: true }))
  await h.close()
  expect(await outcomes(acks)).toEqual({ resolved: 200, rejected: [] })
  expect((await readRaw(dbName)).map((r) => r.data)).toEqual([...Array(200).keys()])
})

test('detaching (the attach handle) in the same task as 200 persistent publishAsync: all 200 are stored when their acks resolve; publishes after the detach are not recorded', async () => {
  const { h, dbName } = open('detach-same-task')
  const bus = createBus()
  const handle = h.attach(bus)
  await h.ready
  const acks = Array.from({ length: 200 }, (_, i) => bus.publishAsync('cart.item', { i }, { persistent: true }))
  handle.unsubscribe()
  expect(await outcomes(acks)).toEqual({ resolved: 200, rejected: [] })
  // Resolved means committed: nothing left to flush.
  expect((await readRaw(dbName)).map((r) => (r.data as { i: number }).i)).toEqual([...Array(200).keys()])
  // Once the detach is done (the next task), the bus is no longer recorded.
  await new Promise((r) => setTimeout(r, 0))
  bus.publish('cart.item', { i: 'sync-after' }, { persistent: true })
  await bus.publishAsync('cart.item', { i: 'async-after' }, { persistent: true })
  await h.flush()
  expect(await readRaw(dbName)).toHaveLength(200)
  expect(h.stats()).toMatchObject({ written: 200, failed: 0 })
})

test('close() waits for publishAsync calls still validating (async schema) in the same task', async () => {
  const { h, dbName } = open('close-async-schema')
  const bus = createBus()
  bus.define('signup', { schema: { '~standard': { version: 1, vendor: 'test', validate: async (v: unknown) => ({ value: v }) } } })
  h.attach(bus)
  const acks = Array.from({ length: 50 }, (_, i) => bus.publishAsync('signup', { i }, { persistent: true }))
  await h.close()
  expect(await outcomes(acks)).toEqual({ resolved: 50, rejected: [] })
  expect(await readRaw(dbName)).toHaveLength(50)
})

test('a publishAsync whose schema validates only after close() finished rejects with HistoryClosedError (detached): never resolves unstored', async () => {
  const { h, dbName } = open('close-late-schema')
  const bus = createBus()
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  bus.define('slow', { schema: { '~standard': { version: 1, vendor: 'test', validate: async (v: unknown) => (await gate, { value: v }) } } })
  h.attach(bus)
  await h.ready
  const early = bus.publishAsync('slow', { n: 1 }, { persistent: true }) // still validating at close
  await h.close()
  release()
  const { resolved, rejected } = await outcomes([early])
  expect(resolved).toBe(0)
  expect(rejected).toHaveLength(1)
  expect(rejected[0]).toBeInstanceOf(HistoryClosedError)
  expect((rejected[0] as HistoryClosedError).reason).toBe('detached')
  expect(await readRaw(dbName)).toHaveLength(0)
})

test("a publishAsync waiting for room in a 'block' queue across close() resolves only after its write", async () => {
  const { h, dbName } = open('close-block-queue')
  const bus = createBus()
  let release!: () => void
  const busy = new Promise<void>((r) => (release = r))
  bus.subscribe('job', () => busy, { queue: { max: 1, strategy: 'block', blockTimeoutMs: 5000 } })
  h.attach(bus)
  await h.ready
  void bus.publishAsync('job', { n: 0 }) // taken by the handler, which stays busy
  void bus.publishAsync('job', { n: 1 }) // fills the queue
  const waiting = bus.publishAsync('job', { n: 2 }, { persistent: true }) // waits for room
  const closed = h.close()
  release()
  await waiting
  expect((await readRaw(dbName)).map((e) => (e.data as { n: number }).n)).toEqual([2])
  await closed
})

test('a second close() returns the same promise; after close() every persistent ack of that history is settled and the history refuses use', async () => {
  const { h, dbName } = open('close-twice')
  const bus = createBus()
  h.attach(bus)
  const ack = bus.publishAsync('x.y', 1, { persistent: true })
  const a = h.close()
  expect(h.close()).toBe(a)
  await a
  await ack
  expect((await readRaw(dbName)).map((r) => r.data)).toEqual([1])
  await expect(h.import([])).rejects.toBeInstanceOf(HistoryClosedError)
  expect(() => h.attach(bus)).toThrow(HistoryClosedError)
})
