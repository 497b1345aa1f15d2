// The outbox's bounds and its split of a refused batch, with a fake transport (pure logic; the
// real transports are tested in the tabs and worker packages).
import { describe, expect, it } from 'vitest'
import type { TidingsEvent } from '../envelope.js'
import type { EventBatch } from './codec.js'
import { Outbox } from './outbox.js'
import { estimateBytes, estimateEventBytes } from './size.js'

const ev = (seq: number, data: unknown, origin = 'o'): TidingsEvent => ({ id: `${origin}:${seq}`, type: 't', timestamp: 1, version: 1, data, origin, seq })

function harness(maxBatch: number, maxBatchBytes: number, refuse: (e: TidingsEvent) => boolean = () => false) {
  const batches: number[][] = []
  const bad: Array<[number, string]> = []
  let posts = 0
  const box = new Outbox({
    maxBatch,
    maxBatchBytes,
    post(batch: EventBatch, events) {
      posts++
      if (events.some(refuse)) throw new DOMException('could not be cloned', 'DataCloneError')
      batches.push(batch.s.slice())
    },
    unsendable: (e, reason) => bad.push([e.seq, reason]),
  })
  return { box, batches, bad, posts: () => posts }
}

/** Counts posts per task: posts in one synchronous drain share a task; a microtask queued at a
 *  task's first post marks its end (whatever the outbox yields with: postTask, a message, a timer). */
function taskCounter() {
  const perTask: number[] = []
  let open = false
  return {
    perTask,
    post(): void {
      if (!open) {
        perTask.push(0)
        open = true
        queueMicrotask(() => (open = false))
      }
      perTask[perTask.length - 1]!++
    },
  }
}

async function drained(box: Outbox): Promise<void> {
  for (let i = 0; i < 400 && box.size > 0; i++) await new Promise((r) => setTimeout(r, 5))
}

describe('estimateBytes', () => {
  it('counts strings by length, binary by byteLength, and scales sampled collections', () => {
    expect(estimateBytes('x'.repeat(1000))).toBe(1004)
    expect(estimateBytes(new Uint8Array(5000))).toBe(5016)
    expect(estimateBytes(new ArrayBuffer(100))).toBe(116)
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ id: i, name: 'row-name' }))
    const est = estimateBytes(rows)
    const json = JSON.stringify(rows).length
    expect(est).toBeGreaterThan(json / 3)
    expect(est).toBeLessThan(json * 3)
    expect(estimateBytes(new Map([[1, 'a'.repeat(100)]]))).toBeGreaterThan(100)
  })

  it('counts an object by its fields whatever its prototype (plain, null, a class), and a Set or Date by kind', () => {
    const plain = estimateBytes({ id: 1, name: 'abc' })
    expect(plain).toBe(8 + (4 + 2 + 9) + (4 + 4 + 7))
    expect(estimateBytes(Object.assign(Object.create(null) as object, { id: 1, name: 'abc' }))).toBe(plain)
    class Row {
      id = 1
      name = 'abc'
    }
    expect(estimateBytes(new Row())).toBe(plain)
    expect(estimateBytes([{ id: 1, name: 'abc' }])).toBe(8 + plain)
    expect(estimateBytes(new Set(['abcd', 'abcd']))).toBe(8 + 8)
    expect(estimateBytes(new Date(0))).toBe(9)
  })

  it('walks 4 entries of a large array (first, last, evenly spaced) and scales by its length', () => {
    const read: number[] = []
    const rows = Array.from({ length: 100 }, (_, i) => ({
      get v(): string {
        read.push(i)
        return 'x'.repeat(10)
      },
    }))
    const one = estimateBytes({ v: 'x'.repeat(10) })
    expect(estimateBytes(rows)).toBe(8 + one * 100)
    expect(read).toEqual([0, 33, 66, 99])
  })

  it('is bounded on cycles and huge objects, and never throws', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic['self'] = cyclic
    expect(estimateBytes(cyclic)).toBeGreaterThan(0)
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]))
    expect(estimateBytes(wide)).toBeGreaterThan(5000 * 10)
    const hostile = {
      get x(): never {
        throw new Error('boom')
      },
    }
    expect(estimateEventBytes(ev(0, hostile))).toBeGreaterThan(0)
  })
})

describe('Outbox', () => {
  it('ends a batch at maxBatch events or maxBatchBytes, whichever comes first, in seq order', () => {
    const { box, batches } = harness(4, 10_000)
    for (let i = 0; i < 6; i++) box.push(ev(i, 'x'.repeat(3000)), 'inc')
    for (let i = 6; i < 12; i++) box.push(ev(i, i), 'inc')
    box.flush(true)
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5, 6], [7, 8, 9, 10], [11]])
  })

  it('sends an event larger than the bound alone', () => {
    const { box, batches } = harness(100, 1000)
    box.push(ev(0, 1), 'inc')
    box.push(ev(1, 'y'.repeat(5000)), 'inc')
    box.push(ev(2, 2), 'inc')
    box.flush(true)
    expect(batches).toEqual([[0], [1], [2]])
  })

  it('yields after 8 byte bounds in one task (or 8 ms) and sends the rest later, new events behind it', async () => {
    const { box, batches } = harness(100, 1000)
    for (let i = 0; i < 20; i++) box.push(ev(i, 'z'.repeat(2000)), 'inc')
    expect(batches).toEqual([])
    await Promise.resolve()
    const first = batches.length
    expect(first).toBeGreaterThanOrEqual(1)
    expect(first).toBeLessThanOrEqual(4) // each ~2 KB event is a batch; 8 KB of bounds per task
    box.push(ev(20, 20), 'inc')
    await drained(box) // a loaded machine delays timers: wait until drained, then check the order
    expect(batches.flat()).toEqual([...Array(21).keys()])
    expect(box.size).toBe(0)
  })

  it('gives a large batch that would make the task a long one a task of its own, by the cost posting showed', async () => {
    // Two 100 KB events whose posts take 60 ms each (a busy wait standing in for a slow clone),
    // with a quick 30 KB one between them. The first slow post teaches the cost; in the next
    // task the quick one goes, and the second slow one, predicted to end past 50 ms, waits for a
    // task of its own instead of lengthening that one.
    const tasks = taskCounter()
    const box = slowLargePosts(tasks, 64 * 1024, 60)
    const big = 'b'.repeat(100 * 1024)
    box.push(ev(0, big), 'inc')
    box.push(ev(1, 'q'.repeat(30 * 1024)), 'inc')
    box.push(ev(2, big), 'inc')
    await drained(box)
    expect(tasks.perTask).toEqual([1, 1, 1])
  })

  it('a slow large post does not hold back small batches: they still go several per task', async () => {
    // One 64 KB event whose post takes 100 ms, then ten 40 KB events, each a batch (over the
    // 32 KB bound). At the large post's cost per byte each would take ~60 ms, but batches under
    // 64 KB are never judged by it: after the large one's task they go 7 per task (8 bounds'
    // worth of bytes), not one.
    const tasks = taskCounter()
    const box = slowLargePosts(tasks, 32 * 1024, 100)
    box.push(ev(0, 'L'.repeat(64 * 1024)), 'inc')
    for (let i = 1; i <= 10; i++) box.push(ev(i, 's'.repeat(40 * 1024)), 'inc')
    await drained(box)
    expect(tasks.perTask).toEqual([1, 7, 3])
  })

  it('estimates an event only when a batch is cut through it, not inside publish', async () => {
    let reads = 0
    const counted = () => ({
      get v(): string {
        reads++
        return 'x'.repeat(100)
      },
    })
    const { box, batches } = harness(1000, 1 << 20)
    for (let i = 0; i < 50; i++) box.push(ev(i, counted()), 'inc')
    expect(reads).toBe(0)
    await Promise.resolve()
    expect(reads).toBe(50)
    expect(batches.flat()).toEqual([...Array(50).keys()])
  })

  it('a full batch of small events still goes at once, and large ones are estimated only until the bound is passed', () => {
    const { box, batches } = harness(10, 1000)
    for (let i = 0; i < 10; i++) box.push(ev(i, i), 'inc')
    expect(batches).toEqual([[...Array(10).keys()]]) // 10 small events: under 1000 bytes, sent from push
    let reads = 0
    const big = () => ({
      get v(): string {
        reads++
        return 'y'.repeat(400)
      },
    })
    for (let i = 10; i < 20; i++) box.push(ev(i, big()), 'inc')
    expect(batches.length).toBe(1) // over the bound: they wait for the microtask
    expect(reads).toBe(3) // 3 x ~470 bytes passes 1000: the other 7 are not read yet
    box.flush(true)
    expect(batches.flat()).toEqual([...Array(20).keys()])
  })

  it('from rest, ramps byte-bounded batches up from 64 KB (4x per batch); a continuation and count-bounded batches are not cut', async () => {
    const maxBytes = 128 * 1024
    const { box, batches } = harness(1000, maxBytes)
    const ten = 'k'.repeat(10_000)
    const one = estimateEventBytes(ev(0, ten))
    for (let i = 0; i < 200; i++) box.push(ev(i, ten), 'inc')
    await drained(box) // 8 x 128 KB per task at most: at least one continuation
    const first = Math.floor((64 * 1024) / one)
    const full = Math.floor(maxBytes / one)
    const middle = Math.floor((200 - first) / full)
    expect(batches.map((b) => b.length)).toEqual([first, ...Array<number>(middle).fill(full), 200 - first - middle * full])
    expect(batches.flat()).toEqual([...Array(200).keys()])
    // Small events: the count bound ends each batch, never cut by the ramp.
    const small = harness(50, 1 << 20)
    for (let i = 0; i < 120; i++) small.box.push(ev(i, i), 'inc')
    await drained(small.box)
    expect(small.batches.map((b) => b.length)).toEqual([50, 50, 20])
  })

  it('splits a refused batch in halves so each bad event fails alone and the rest go once', () => {
    const { box, batches, bad, posts } = harness(1000, 1 << 20, (e) => e.seq === 13 || e.seq === 40)
    for (let i = 0; i < 64; i++) box.push(ev(i, i), 'inc')
    box.flush(true)
    expect(bad.map(([s]) => s)).toEqual([13, 40])
    expect(bad[0]![1]).toContain('DataCloneError')
    expect(batches.flat()).toEqual([...Array(64).keys()].filter((i) => i !== 13 && i !== 40))
    expect(posts()).toBeLessThan(30) // log-depth splitting, not one post per event
  })

  it('take() returns what waits in send order, including what a yield left behind', async () => {
    const { box, batches } = harness(100, 1000)
    for (let i = 0; i < 20; i++) box.push(ev(i, 'w'.repeat(2000)), 'inc')
    await Promise.resolve()
    const sent = batches.flat()
    box.push(ev(20, 20), 'inc')
    expect([...sent, ...box.take().map((o) => o.event.seq)]).toEqual([...Array(21).keys()])
    await new Promise((r) => setTimeout(r, 20))
    expect(batches.flat()).toEqual(sent)
  })
})

/** An outbox whose posts of a batch starting with a string over 60,000 characters busy-wait
 *  `slowMs` (standing in for a slow structured clone); every post is counted per task. */
function slowLargePosts(tasks: ReturnType<typeof taskCounter>, maxBatchBytes: number, slowMs: number): Outbox {
  return new Outbox({
    maxBatch: 100,
    maxBatchBytes,
    post(batch) {
      if (typeof batch.d[0] === 'string' && batch.d[0].length > 60_000) {
        const until = performance.now() + slowMs
        while (performance.now() < until) {
          // busy: the cost of serializing
        }
      }
      tasks.post()
    },
    unsendable: () => {},
  })
}
