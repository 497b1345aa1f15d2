// bus.inspect(observer, { kinds }): each observer gets only its kinds, and the bus builds (and
// times handlers for) only what some attached inspector asked for.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBus, InvalidOptionError, type InspectionEvent, type InspectionKind, type InspectOptions } from './index.js'

const label = (e: InspectionEvent) => (e.kind === 'publish' ? `publish:${e.event.type}` : e.kind === 'deliver' ? `deliver:${e.event.type}` : e.kind)

afterEach(() => {
  vi.restoreAllMocks()
})

describe('inspect kinds', () => {
  it("an inspector with kinds ['publish'] gets only publishes, one per event, in order", () => {
    const bus = createBus()
    const seen: InspectionEvent[] = []
    const options: InspectOptions = { kinds: ['publish'] }
    bus.inspect((e) => seen.push(e), options)
    const sub = bus.subscribe('a', () => {})
    bus.subscribe('b', () => {})
    bus.publish('a', 1)
    bus.publish('b', 2)
    bus.publish('a', 3)
    bus.publish('nobody', 4)
    sub.unsubscribe()
    expect(seen.map(label)).toEqual(['publish:a', 'publish:b', 'publish:a', 'publish:nobody'])
    expect(seen.map((e) => (e.kind === 'publish' ? [e.event.data, e.receipt.delivered, e.event.seq] : null))).toEqual([
      [1, 1, 0],
      [2, 1, 1],
      [3, 1, 2],
      [4, 0, 3],
    ])
    for (const e of seen) expect(typeof e.at).toBe('number')
  })

  it("no handler is timed and no deliver inspection is built while nobody asks for 'deliver'", () => {
    const bus = createBus()
    const seen: InspectionEvent[] = []
    bus.inspect((e) => seen.push(e), { kinds: ['publish', 'error'] })
    bus.subscribe('a', () => {}) // the publish hot path (SyncSubscription)
    bus.subscribe('a', () => {}, { retry: { attempts: 2 } }) // an AttemptRunner, first attempt inside publish
    const clock = vi.spyOn(performance, 'now')
    const r = bus.publish('a')
    expect(r.delivered).toBe(2)
    expect(clock).toHaveBeenCalledTimes(0)
    expect(seen.map(label)).toEqual(['publish:a'])
  })

  it("with 'deliver' asked for, both kinds of handler are timed and inspected", () => {
    const bus = createBus()
    const seen: InspectionEvent[] = []
    bus.inspect((e) => seen.push(e), { kinds: ['deliver'] })
    bus.subscribe('a', () => {})
    bus.subscribe('a', () => {}, { retry: { attempts: 2 } })
    const clock = vi.spyOn(performance, 'now')
    bus.publish('a')
    expect(clock.mock.calls.length).toBeGreaterThanOrEqual(4) // a start and an end per handler
    expect(seen.map(label)).toEqual(['deliver:a', 'deliver:a'])
    for (const e of seen) expect(e.kind === 'deliver' && e.durationMs >= 0 && e.attempt === 1).toBe(true)
  })

  it('two inspectors with different kinds each get their own, in the order the bus emits them', () => {
    const bus = createBus()
    const pubs: string[] = []
    const subs: string[] = []
    const all: string[] = []
    bus.inspect((e) => pubs.push(label(e)), { kinds: ['publish', 'deliver'] })
    bus.inspect((e) => subs.push(label(e)), { kinds: ['subscribe', 'unsubscribe'] })
    bus.inspect((e) => all.push(label(e)))
    const s = bus.subscribe('a', () => {
      throw new Error('x')
    })
    bus.publish('a')
    s.unsubscribe()
    expect(pubs).toEqual(['publish:$tidings.error', 'deliver:a', 'publish:a'])
    expect(subs).toEqual(['subscribe', 'unsubscribe'])
    expect(all).toEqual(['subscribe', 'error', 'publish:$tidings.error', 'deliver:a', 'publish:a', 'unsubscribe'])
  })

  it('unsubscribing an inspector recomputes what the bus builds', () => {
    const bus = createBus()
    const a: string[] = []
    const b: string[] = []
    const first = bus.inspect((e) => a.push(label(e)), { kinds: ['deliver'] })
    const second = bus.inspect((e) => b.push(label(e)), { kinds: ['publish'] })
    bus.subscribe('t', () => {})
    const clock = vi.spyOn(performance, 'now')
    bus.publish('t')
    expect(clock.mock.calls.length).toBeGreaterThan(0)
    first.unsubscribe()
    clock.mockClear()
    bus.publish('t')
    expect(clock).toHaveBeenCalledTimes(0) // nobody wants 'deliver' any more
    second.unsubscribe()
    bus.publish('t')
    expect(a).toEqual(['deliver:t'])
    expect(b).toEqual(['publish:t', 'publish:t'])
    // Re-attaching sets the flags again.
    const c: string[] = []
    bus.inspect((e) => c.push(label(e)), { kinds: ['deliver'] })
    bus.publish('t')
    expect(c).toEqual(['deliver:t'])
  })

  it('an inspector that asks for no kinds receives nothing, yet unrouted events still get envelopes', () => {
    const bus = createBus()
    const none: InspectionEvent[] = []
    const pubs: InspectionEvent[] = []
    bus.inspect((e) => none.push(e), { kinds: [] })
    bus.subscribe('a', () => {})
    bus.publish('a')
    bus.publish('nobody')
    expect(none).toEqual([])
    // The bus's "anyone inspecting" flag (internal) stays set: unrouted events get envelopes.
    expect((bus as unknown as { inspecting: boolean; inspected: number }).inspecting).toBe(true)
    expect((bus as unknown as { inspecting: boolean; inspected: number }).inspected).toBe(0)
    bus.inspect((e) => pubs.push(e), { kinds: ['publish'] })
    const r = bus.publish('nobody', 7)
    expect(pubs).toHaveLength(1)
    expect(pubs[0]!.kind === 'publish' && pubs[0]!.event).toMatchObject({ id: r.id, type: 'nobody', data: 7, seq: 2 })
  })

  it('an unknown kind throws InvalidOptionError before anything is attached', () => {
    const bus = createBus()
    const seen: InspectionEvent[] = []
    expect(() => bus.inspect((e) => seen.push(e), { kinds: ['publish', 'deliverd' as InspectionKind] })).toThrow(InvalidOptionError)
    expect(() => bus.inspect((e) => seen.push(e), { kinds: 'publish' as unknown as InspectionKind[] })).toThrow(/inspect kinds/)
    bus.subscribe('a', () => {})
    bus.publish('a')
    expect(seen).toEqual([])
  })
})

describe('docs/core.md "Inspection"', () => {
  it('the kinds example runs as written and prints one publish', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url))
    const doc = readFileSync(path.join(here, '..', '..', '..', 'docs', 'core.md'), 'utf8')
    const section = doc.split(/^## /m).find((s) => s.startsWith('Inspection\n'))!
    const code = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).find((c) => c.includes('kinds:'))
    expect(code).toBeDefined()
    const dir = path.join(tmpdir(), 'tidings-core-docs')
    mkdirSync(dir, { recursive: true })
    const file = path.join(dir, `example-inspect-kinds-${Date.now()}.test.ts`)
    writeFileSync(file, code!.replaceAll("from '@tidings/core'", `from ${JSON.stringify(path.join(here, 'index.ts'))}`))
    const lines: string[] = []
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')))
    try {
      await import(/* @vite-ignore */ file)
    } finally {
      rmSync(file, { force: true })
    }
    expect(lines).toEqual(['job.run 1'])
  })
})
