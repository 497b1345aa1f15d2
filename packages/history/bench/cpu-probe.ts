// Page side of cpu-trace.mjs: phases the Node script traces one by one (CPU time per task from
// Chromium's trace, which the machine's load does not lengthen the way it lengthens wall clock).
// Each phase checks its own results.
import { createBus, type TidingsEvent } from '@tidings/core'
import { openHistory, type History } from '@tidings/history'
import { longestTask } from './longest-task.ts'

const TYPES = 10
const CHUNK = 20_000
const payload = (i: number) => ({ orderId: `o-${i}`, amount: i % 1000, currency: 'EUR', items: i % 7 })
const event = (i: number, timestamp: number): TidingsEvent => ({ id: `s:${i}`, type: `shop.t${i % TYPES}`, timestamp, version: 1, data: payload(i), origin: 'bench', seq: i })
const base = 1_700_000_000_000

let h: History | undefined
let kept: History | undefined
let size = 0

async function fill(target: History, n: number, spacing: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < n; i += CHUNK) {
    const chunk = Array.from({ length: Math.min(CHUNK, n - i) }, (_, j) => event(i + j, base + (i + j) * spacing))
    const r = await target.import(chunk)
    if (r.imported !== chunk.length) throw new Error(`imported ${r.imported} of ${chunk.length}`)
  }
  return (n / (performance.now() - t0)) * 1000
}

/** The bench's type + time query (shop.t3, 1,000 results) on `target`, checked by ids: its ms. */
async function typeTime(target: History, spacing: number): Promise<number> {
  const first = Math.floor((size - 1000 * TYPES) / 2 / TYPES) * TYPES + 3
  const t0 = performance.now()
  const got = await target.query({ type: 'shop.t3', from: base + first * spacing, to: base + (first + 999 * TYPES) * spacing })
  const t = performance.now() - t0
  if (got.length !== 1000 || !got.every((e, k) => e.id === `s:${first + k * TYPES}`)) throw new Error('query ids')
  return t
}
const med = (xs: number[]) => xs.sort((x, y) => x - y)[xs.length >> 1]!

export const probe = {
  /** A store of `n` burst events (10 types, 1 event/ms), maxEvents = n. */
  async setup(n: number): Promise<number> {
    size = n
    h = openHistory({ dbName: `cpu-probe-${Date.now()}`, maxEvents: n })
    await h.ready
    return fill(h, n, 1)
  },
  /** The where-only scan: must return every 200th... (amount >= 995: 5 of 1,000), in order. */
  async scan(): Promise<number> {
    const t0 = performance.now()
    const got = await h!.query({ where: { 'data.amount': ['>=', 995] } })
    if (got.length !== (size / 1000) * 5 || !got.every((e, k, a) => k === 0 || a[k - 1]!.timestamp <= e.timestamp)) throw new Error(`scan: ${got.length}`)
    return performance.now() - t0
  },
  /** The scan under a MessageChannel heartbeat (the bench's longest-task measure): the longest
   *  gap between heartbeats; each gap over 12 ms is marked in the trace (console.timeStamp, its
   *  end), so cpu-trace.mjs can list the tasks inside it. */
  async gapScan(): Promise<{ total: number; longest: number }> {
    const { value, longest } = await longestTask(
      () => this.scan(),
      (ms) => ms > 12 && console.timeStamp(`gap:${ms.toFixed(2)}`),
    )
    return { total: value, longest }
  },
  /** RAW=1: every segment read by plain gets (10 in flight), nothing kept: what reading alone costs
   *  (the garbage collector's share of a scan without any of the reader's work). */
  async rawScan(perTx = 256): Promise<number> {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(h!.dbName)
      req.addEventListener('success', () => resolve(req.result))
      req.addEventListener('error', () => reject(req.error))
    })
    const t0 = performance.now()
    let events = 0
    let after: IDBValidKey | undefined
    // perTx -1: one cursor over the whole store instead (one request, its value replaced per step).
    if (perTx < 0) {
      await new Promise<void>((resolve) => {
        const req = db.transaction('segments').objectStore('segments').openCursor()
        req.addEventListener('success', () => {
          const c = req.result
          if (!c) return resolve()
          events += (c.value as { events: unknown[] }).events.length
          c.continue()
        })
      })
    }
    if (perTx > 0) for (;;) {
      const store = db.transaction('segments').objectStore('segments')
      const keys = await new Promise<IDBValidKey[]>((resolve) => {
        const req = store.getAllKeys(after === undefined ? null : IDBKeyRange.lowerBound(after, true), perTx)
        req.addEventListener('success', () => resolve(req.result))
      })
      if (keys.length === 0) break
      after = keys.at(-1)
      await new Promise<void>((resolve) => {
        let next = 0
        let done = 0
        const issue = () => {
          const req = store.get(keys[next++]!)
          req.addEventListener('success', () => {
            events += (req.result as { events: unknown[] }).events.length
            if (++done === keys.length) resolve()
            else if (next < keys.length) issue()
          })
        }
        for (let i = 0; i < Math.min(10, keys.length); i++) issue()
      })
    }
    db.close()
    if (events !== size) throw new Error(`raw scan read ${events}`)
    return performance.now() - t0
  },
  /** `n` persistent acks in sequence, the store full (each evicts). */
  async acks(n: number): Promise<number[]> {
    const bus = createBus()
    const a = h!.attach(bus)
    const lat: number[] = []
    for (let i = 0; i < n; i++) {
      const t0 = performance.now()
      await bus.publishAsync('live.ack', { i }, { persistent: true })
      lat.push(performance.now() - t0)
    }
    a.unsubscribe()
    if ((await h!.count()) !== size) throw new Error('count after acks')
    return lat
  },
  /** A second store of `size` sparse events (each type once per second), kept for queries(). */
  async sparseSetup(): Promise<number> {
    kept = openHistory({ dbName: `cpu-probe-sparse-kept-${Date.now()}` })
    await kept.ready
    return fill(kept, size, 1000 / TYPES)
  },
  /** The bench's type + time query (shop.t3, 1,000 results) on the burst and the sparse store,
   *  alternating, `rounds` times each: medians in ms (each result checked by ids). */
  async queries(rounds: number): Promise<{ burst: number; sparse: number }> {
    const b: number[] = []
    const sp: number[] = []
    for (let r = 0; r < rounds; r++) {
      b.push(await typeTime(h!, 1))
      sp.push(await typeTime(kept!, 1000 / TYPES))
    }
    return { burst: med(b), sparse: med(sp) }
  },
  /** Imports `n` sparse events (each type once per second) into a fresh database. */
  async sparse(n: number): Promise<number> {
    const hs = openHistory({ dbName: `cpu-probe-sparse-${Date.now()}` })
    await hs.ready
    const rate = await fill(hs, n, 1000 / TYPES)
    if ((await hs.count()) !== n) throw new Error('sparse count')
    await hs.close()
    indexedDB.deleteDatabase(hs.dbName)
    return rate
  },
  async burst(n: number): Promise<number> {
    const hs = openHistory({ dbName: `cpu-probe-burst-${Date.now()}` })
    await hs.ready
    const rate = await fill(hs, n, 1)
    await hs.close()
    indexedDB.deleteDatabase(hs.dbName)
    return rate
  },
}
;(globalThis as { tidingsProbe?: typeof probe }).tidingsProbe = probe
