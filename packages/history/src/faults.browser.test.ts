// Faults against real IndexedDB in headless Chromium: quota exceeded, an upgrade from another
// connection, an upgrade blocked by another connection, the database deleted while open, and
// unclonable data.
import { createBus } from '@tidings/core'
import { afterEach, expect, test } from 'vitest'
import {
  HistoryBlockedError,
  HistoryClosedError,
  HistoryQuotaError,
  HistoryDataError,
  openHistory,
  type HistoryError,
  type History,
} from './index.js'
import { deleteDb, readRaw, uniqueDb } from './test-helpers.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).toReversed()) await c()
})
function track(h: History, dbName: string) {
  cleanups.push(async () => {
    await h.close()
    await deleteDb(dbName)
  })
  return h
}

function rawOpen(dbName: string, version?: number): Promise<{ db: IDBDatabase; blocked: boolean }> {
  return new Promise((resolve, reject) => {
    let blocked = false
    const req = version === undefined ? indexedDB.open(dbName) : indexedDB.open(dbName, version)
    req.addEventListener('blocked', () => (blocked = true))
    req.addEventListener('error', () => reject(req.error))
    req.addEventListener('success', () => resolve({ db: req.result, blocked }))
  })
}

// The real-quota version of this test (quota set through the DevTools protocol in a fresh
// browser context) is e2e/tests/history-faults.spec.ts: inside Vitest other files share the
// origin's IndexedDB bucket, whose cached quota then ignores the override. Here the store's put
// is wrapped to throw the DOMException the browser throws when the quota is used up.
const isBig = (v: unknown) => typeof v === 'object' && v !== null && (v as { type?: unknown }).type !== 'q.after' && (v as { type?: unknown }).type !== 'q.small'

test('quota exceeded (put wrapped to throw QuotaExceededError): clear error, event still delivered in memory, publishAsync rejects', async () => {
  const dbName = uniqueDb('quota')
  const h = track(openHistory({ dbName, record: ['q.**'] }), dbName)
  const bus = createBus()
  h.attach(bus)
  const errors: HistoryError[] = []
  h.errors$.subscribe((e) => errors.push(e))
  await bus.publishAsync('q.small', 1, { persistent: true })

  const realPut = IDBObjectStore.prototype.put
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (isBig(value)) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    return realPut.call(this, value, key)
  }
  cleanups.push(() => {
    IDBObjectStore.prototype.put = realPut
  })
  const big = { payload: 'x'.repeat(1000) }

  const delivered: string[] = []
  bus.on('q.*').subscribe((e) => delivered.push(e.type))
  const err = await bus.publishAsync('q.big', { big }, { persistent: true }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(HistoryQuotaError)
  expect((err as Error).name).toBe('HistoryQuotaError')
  expect((err as Error).message).toMatch(/quota exceeded.*delivered in memory but not stored/i)
  expect(((err as Error).cause as DOMException).name).toBe('QuotaExceededError')
  expect((err as Error).message).toMatch(/1 event\(s\) to IndexedDB/)
  expect(delivered).toEqual(['q.big'])
  // A recorded (non-persistent) event fails quietly: reported on errors$, never thrown at the app.
  bus.publish('q.bulk', { big })
  await expect(h.flush()).rejects.toThrow(HistoryQuotaError)
  expect(delivered).toEqual(['q.big', 'q.bulk'])
  expect(errors.map((e) => e.name)).toEqual(['HistoryQuotaError', 'HistoryQuotaError'])
  expect(h.stats()).toMatchObject({ written: 1, failed: 2 })

  // Quota back: the history keeps working, and only acknowledged events are stored.
  IDBObjectStore.prototype.put = realPut
  await bus.publishAsync('q.after', 2, { persistent: true })
  expect((await readRaw(dbName)).map((r) => r.type)).toEqual(['q.small', 'q.after'])
})

test('another connection upgrades the database: pending writes land, the upgrade is not blocked, later writes get HistoryClosedError', async () => {
  const dbName = uniqueDb('versionchange')
  const h = track(openHistory({ dbName }), dbName)
  const bus = createBus()
  h.attach(bus)
  const errors: HistoryError[] = []
  h.errors$.subscribe((e) => errors.push(e))
  await bus.publishAsync('v.acked', 1, { persistent: true })
  const version = (await rawOpen(dbName).then(({ db }) => (db.close(), db.version)))
  bus.publish('v.pending', 2, { persistent: true }) // still in the open batch
  const upgraded = await rawOpen(dbName, version + 1)
  expect(upgraded.blocked).toBe(false)
  upgraded.db.close()
  expect(h.status).toBe('versionchange')
  expect(errors.map((e) => [e.name, (e as HistoryClosedError).reason])).toEqual([['HistoryClosedError', 'versionchange']])
  expect((await readRaw(dbName)).map((r) => r.type)).toEqual(['v.acked', 'v.pending'])

  const delivered: number[] = []
  bus.on('v.*').subscribe((e) => delivered.push(e.data as number))
  const err = await bus.publishAsync('v.late', 3, { persistent: true }).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(HistoryClosedError)
  expect((err as Error).message).toMatch(/another tab upgraded the database to version \d+\. Reload this tab/)
  expect(delivered).toEqual([3])
  expect((await readRaw(dbName)).map((r) => r.type)).toEqual(['v.acked', 'v.pending'])
})

test('an upgrade blocked by another connection fails after blockedTimeoutMs, then recovers when it closes', async () => {
  const dbName = uniqueDb('blocked')
  // Other code holds the database at version 1 without our stores and ignores "versionchange".
  const { db: other } = await rawOpen(dbName, 1)
  const h = track(openHistory({ dbName, blockedTimeoutMs: 300 }), dbName)
  const bus = createBus()
  h.attach(bus)
  const delivered: number[] = []
  bus.on('b.*').subscribe((e) => delivered.push(e.data as number))
  await expect(h.ready).rejects.toThrow(HistoryBlockedError)
  await expect(h.ready).rejects.toThrow(/blocked for 300 ms by another connection.*Close the other tabs/)
  await expect(bus.publishAsync('b.x', 1, { persistent: true })).rejects.toThrow(HistoryBlockedError)
  expect(delivered).toEqual([1])
  other.close()
  await bus.publishAsync('b.y', 2, { persistent: true })
  expect(h.status).toBe('open')
  expect((await h.query()).map((e) => e.data)).toEqual([2])
})

test('database deleted while open: the delete is not blocked, history reports it and recreates the database on the next write', async () => {
  const dbName = uniqueDb('deleted')
  const h = track(openHistory({ dbName }), dbName)
  const bus = createBus()
  h.attach(bus)
  const errors: HistoryError[] = []
  h.errors$.subscribe((e) => errors.push(e))
  await bus.publishAsync('d.before', 1, { persistent: true })
  const blocked = await new Promise<boolean>((resolve, reject) => {
    let wasBlocked = false
    const req = indexedDB.deleteDatabase(dbName)
    req.addEventListener('blocked', () => (wasBlocked = true))
    req.addEventListener('success', () => resolve(wasBlocked))
    req.addEventListener('error', () => reject(req.error))
  })
  expect(blocked).toBe(false)
  expect(errors.map((e) => [e.name, (e as HistoryClosedError).reason])).toEqual([['HistoryClosedError', 'deleted']])
  expect(h.status).toBe('opening')
  await bus.publishAsync('d.after', 2, { persistent: true })
  expect(h.status).toBe('open')
  expect((await h.query()).map((e) => e.type)).toEqual(['d.after'])
  expect((await readRaw(dbName)).map((r) => r.type)).toEqual(['d.after'])
  // The recreated database lists its types again (globs read that list), including one this
  // history had already listed in the deleted database.
  await bus.publishAsync('d.before', 3, { persistent: true })
  expect((await h.query({ type: 'd.*' })).map((e) => e.data)).toEqual([2, 3])
})

test('unclonable data fails that event only; the rest of its batch commits', async () => {
  const dbName = uniqueDb('clone')
  const h = track(openHistory({ dbName }), dbName)
  const bus = createBus()
  h.attach(bus)
  bus.publish('c.ok', 1, { persistent: true })
  const bad = bus.publishAsync('c.bad', { fn: () => 1 }, { persistent: true })
  bus.publish('c.ok', 2, { persistent: true })
  const err = await bad.catch((e: unknown) => e)
  expect(err).toBeInstanceOf(HistoryDataError)
  expect([(err as HistoryDataError).eventType, (err as HistoryDataError).path]).toEqual(['c.bad', 'data.fn'])
  expect((err as Error).message).toMatch(/c\.bad\) was not stored: data\.fn could not be cloned/)
  await h.flush()
  expect((await h.query()).map((e) => e.data)).toEqual([1, 2])
  expect(h.stats()).toMatchObject({ written: 2, failed: 1 })
})
