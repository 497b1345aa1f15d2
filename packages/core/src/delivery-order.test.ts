// Per-origin order under re-entrant publishes. A handler that publishes from inside publish
// (ctx.publish) starts a nested delivery: handlers and observers see it depth-first, like a
// function call, but queued subscriptions and inboxes still receive each origin's events in seq
// order, because publish offers an event to every buffer it matches before any handler runs.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import * as fc from 'fast-check'
import { createBus, type Bus, type TidingsEvent } from './index.js'

const tick = () => new Promise((r) => setTimeout(r, 0))
const seqs = (events: readonly TidingsEvent[]) => events.map((e) => e.seq)

/** The setup of the rule: a sync handler on `a` (subscribed first) publishes `b`. */
function reentrant(bus: Bus): void {
  bus.subscribe('a', (_e, ctx) => void ctx.publish('b'))
}

describe('queued subscriptions under re-entrant publishes', () => {
  it('concurrency 1 handles a (seq 0) before b (seq 1), which a handler published while a was delivered', async () => {
    const bus = createBus()
    reentrant(bus)
    const seen: Array<[string, number]> = []
    const sub = bus.subscribe('*', (e) => void seen.push([e.type, e.seq]), { concurrency: 1 })
    const receipt = bus.publish('a')
    expect(receipt).toMatchObject({ matched: 2, delivered: 1, queued: 1 })
    await tick()
    expect(seen).toEqual([['a', 0], ['b', 1]])
    expect(sub.stats()).toMatchObject({ received: 2, handled: 2, dropped: 0 })
  })

  it('holds whatever the priorities of the queued subscription and the publishing handler', async () => {
    for (const [handlerPriority, queuePriority] of [[0, 0], [10, 0], [0, 10], [-5, 5]] as const) {
      const bus = createBus()
      const seen: number[] = []
      bus.subscribe('*', (e) => void seen.push(e.seq), { concurrency: 1, priority: queuePriority })
      bus.subscribe('a', (_e, ctx) => void ctx.publish('b'), { priority: handlerPriority })
      bus.publish('a')
      bus.publish('a')
      await tick()
      expect(seen, `handler priority ${handlerPriority}, queue priority ${queuePriority}`).toEqual([0, 1, 2, 3])
    }
  })

  it('nested three deep (a -> b -> c) and with several queued subscriptions', async () => {
    const bus = createBus()
    bus.subscribe('a', (_e, ctx) => void ctx.publish('b'))
    bus.subscribe('b', (_e, ctx) => {
      ctx.publish('c')
      ctx.publish('c')
    })
    const all: number[] = []
    const bc: string[] = []
    bus.subscribe('**', (e) => void all.push(e.seq), { queue: { max: 100, strategy: 'reject' } })
    bus.subscribe(['b', 'c'], (e) => void bc.push(`${e.type}${e.seq}`), { concurrency: 1, priority: 3 })
    bus.publish('a')
    bus.publish('b')
    await tick()
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(bc).toEqual(['b1', 'c2', 'c3', 'b4', 'c5', 'c6'])
  })

  it('concurrency 4: handlers start in seq order (they may finish in any order)', async () => {
    const bus = createBus()
    reentrant(bus)
    const started: number[] = []
    const finished: number[] = []
    let allDone: (() => void) | undefined
    const done = new Promise<void>((r) => (allDone = r))
    bus.subscribe('*', async (e) => {
      started.push(e.seq)
      // Later events finish first.
      await new Promise((r) => setTimeout(r, 10 - e.seq))
      if (finished.push(e.seq) === 8) allDone?.()
    }, { concurrency: 4 })
    for (let i = 0; i < 4; i++) bus.publish('a')
    await done
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect([...finished].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  })

  it('a once subscription takes the first event by seq', async () => {
    const bus = createBus()
    reentrant(bus)
    const seen: string[] = []
    bus.subscribe('*', (e) => void seen.push(e.type), { concurrency: 1, once: true })
    bus.publish('a')
    await tick()
    expect(seen).toEqual(['a'])
  })

  it('a handler that unsubscribes a queued subscription during the event finds the event queued: it is dropped', async () => {
    const bus = createBus()
    const drops: string[] = []
    bus.inspect((i) => {
      if (i.kind === 'drop') drops.push(`${i.event.type}:${i.reason}`)
    })
    const handled: string[] = []
    const queued = bus.subscribe('x', (e) => void handled.push(e.type), { concurrency: 1, priority: -1 })
    bus.subscribe('x', () => queued.unsubscribe(), { priority: 10 })
    expect(bus.publish('x')).toMatchObject({ matched: 2, delivered: 1, queued: 1 })
    await tick()
    expect(handled).toEqual([])
    expect(drops).toEqual(['x:shutdown'])
    expect(queued.stats()).toMatchObject({ received: 1, handled: 0, dropped: 1 })
    expect(bus.stats().dropped).toBe(1)
  })

  it('dispatch results stay in priority order although queued handlers accept the event first', async () => {
    const bus = createBus()
    bus.subscribe('job', () => 'queued, priority 5', { concurrency: 1, priority: 5, label: 'q5' })
    bus.subscribe('job', () => 'sync, priority 10', { priority: 10, label: 's10' })
    bus.subscribe('job', () => 'sync, priority 0', { label: 's0' })
    bus.subscribe('job', () => 'queued, priority 0', { concurrency: 1, label: 'q0' })
    const r = await bus.dispatch('job')
    expect(r.results.map((x) => [x.label, x.value])).toEqual([
      ['s10', 'sync, priority 10'],
      ['q5', 'queued, priority 5'],
      ['s0', 'sync, priority 0'],
      ['q0', 'queued, priority 0'],
    ])
  })
})

describe('inboxes under re-entrant publishes', () => {
  it('queued events come out in seq order', async () => {
    const bus = createBus()
    reentrant(bus)
    const inbox = bus.inbox('*')
    bus.publish('a')
    bus.publish('a')
    expect(seqs(await inbox.receiveBatch({ max: 10, timeoutMs: 0 }))).toEqual([0, 1, 2, 3])
  })

  it('a waiting receive() gets a, the next one b', async () => {
    const bus = createBus()
    reentrant(bus)
    const inbox = bus.inbox('*')
    const first = inbox.receive()
    bus.publish('a')
    expect((await first)?.seq).toBe(0)
    expect((await inbox.receive({ timeoutMs: 0 }))?.seq).toBe(1)
  })

  it('a waiting receiveBatch collects them in seq order', async () => {
    const bus = createBus()
    reentrant(bus)
    const inbox = bus.inbox('*')
    const batch = inbox.receiveBatch({ max: 2 })
    bus.publish('a')
    expect(seqs(await batch)).toEqual([0, 1])
  })
})

describe('handlers and bus.on() observers run inside publish: depth-first', () => {
  it('a handler or observer after the publishing handler sees b before a; one before it sees a first', () => {
    const bus = createBus()
    const log: string[] = []
    bus.on('*', { priority: 1 }).subscribe((e) => void log.push(`early observer ${e.type}${e.seq}`))
    reentrant(bus)
    bus.subscribe('*', (e) => void log.push(`handler ${e.type}${e.seq}`))
    bus.on('*').subscribe((e) => void log.push(`observer ${e.type}${e.seq}`))
    bus.publish('a')
    expect(log).toEqual([
      'early observer a0',
      // the publishing handler runs here: b is delivered completely before a goes on
      'early observer b1',
      'handler b1',
      'observer b1',
      'handler a0',
      'observer a0',
    ])
  })
})

describe('property: every buffer sees each origin strictly in seq order', () => {
  const topics = ['t0', 't1', 't2', 't3'] as const
  const patterns = ['*', 't0', 't1', 't2', 't3', '**', 't1', 't3'] as const
  const arb = fc.record({
    // Sync handler on topics[i] publishes topics[j], j > i (so the nesting ends).
    rules: fc.array(fc.record({ from: fc.nat(2), to: fc.nat(3), priority: fc.integer({ min: -2, max: 2 }), twice: fc.boolean() }), { maxLength: 6 }),
    buffers: fc.array(
      fc.record({ kind: fc.constantFrom('queued1', 'queued4', 'inbox'), pattern: fc.constantFrom(...patterns), priority: fc.integer({ min: -2, max: 2 }) }),
      { minLength: 1, maxLength: 4 },
    ),
    publishes: fc.array(fc.nat(3), { minLength: 1, maxLength: 8 }),
  })

  it('holds for random handler trees, priorities and buffers', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ({ rules, buffers, publishes }) => {
        const bus = createBus()
        const seen: number[][] = []
        const inboxes: Array<{ i: number; inbox: ReturnType<Bus['inbox']> }> = []
        // Interleave the subscriptions: buffers and handlers in a random-ish subscription order.
        buffers.forEach((b, i) => {
          seen.push([])
          if (b.kind === 'inbox') inboxes.push({ i, inbox: bus.inbox(b.pattern) })
          else bus.subscribe(b.pattern, (e) => void seen[i]!.push(e.seq), { concurrency: b.kind === 'queued1' ? 1 : 4, priority: b.priority, queue: { max: 10_000, strategy: 'reject' } })
          const r = rules[i]
          if (r !== undefined && r.to > r.from)
            bus.subscribe(topics[r.from]!, (_e, ctx) => {
              ctx.publish(topics[r.to]!)
              if (r.twice) ctx.publish(topics[r.to]!)
            }, { priority: r.priority })
        })
        for (const t of publishes) bus.publish(topics[t]!)
        await tick()
        for (const { i, inbox } of inboxes) seen[i] = seqs(await inbox.receiveBatch({ max: 10_000, timeoutMs: 0 }))
        for (const s of seen) for (let k = 1; k < s.length; k++) expect(s[k]!).toBeGreaterThan(s[k - 1]!)
        await bus.shutdown()
      }),
      { numRuns: 200 },
    )
  })
})

describe('docs/delivery.md, "Delivery order"', () => {
  it('the example prints what its comments say', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url))
    const doc = readFileSync(path.join(here, '..', '..', '..', 'docs', 'delivery.md'), 'utf8')
    const section = doc.slice(doc.indexOf('## Delivery order'))
    const block = /```js\n([\s\S]*?)```/.exec(section)![1]!
    const expected = block.split('\n').filter((l) => l.startsWith('// ')).map((l) => l.slice(3).replace(/\s+<-.*$/, ''))
    const dir = path.join(tmpdir(), 'tidings-delivery-order')
    mkdirSync(dir, { recursive: true })
    const file = path.join(dir, `order-${process.pid}-${Date.now()}.ts`)
    writeFileSync(file, block.replaceAll("from '@tidings/core'", `from ${JSON.stringify(path.join(here, 'index.ts'))}`))
    const lines: string[] = []
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (Array.isArray(a) ? `[ ${a.join(', ')} ]` : String(a))).join(' '))
    })
    try {
      await import(/* @vite-ignore */ file)
    } finally {
      spy.mockRestore()
      rmSync(file, { force: true })
    }
    expect(expected).toHaveLength(7)
    expect(lines).toEqual(expected)
  })
})
