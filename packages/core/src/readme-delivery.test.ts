// Runs the examples of docs/delivery.md as written and checks what they print, so the docs
// cannot drift from the code. Blocks that need the network or long real timers are skipped by
// index (operators upload with fetch; schedule waits minutes).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'

const here = path.dirname(fileURLToPath(import.meta.url))
const readme = readFileSync(path.join(here, '..', '..', '..', 'docs', 'delivery.md'), 'utf8')
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
const dir = path.join(tmpdir(), 'tidings-readme-delivery')
// The examples import '@tidings/core'; point that at this package's source.
const entry = path.join(here, 'index.ts')

/** Imports block `index` and collects what it logs, also during `settleMs` after it returns. */
async function run(index: number, settleMs = 0): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `block${index}-${Date.now()}.ts`)
  writeFileSync(file, blocks[index]!.replaceAll("from '@tidings/core'", `from ${JSON.stringify(entry)}`))
  const lines: string[] = []
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
  })
  try {
    await import(/* @vite-ignore */ file)
    if (settleMs) await new Promise((r) => setTimeout(r, settleMs))
  } finally {
    spy.mockRestore()
    rmSync(file, { force: true })
  }
  return lines
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('docs/delivery.md examples', () => {
  it('has the blocks this test expects', () => {
    expect(blocks).toHaveLength(13)
  })

  it('queued subscription', async () => {
    const out = await run(0, 50)
    expect(out[2]).toBe('processed {"path":"/a.jpg"}')
    expect(out).toHaveLength(3)
    expect(out[0]).toMatch(/^\{"id":"[^"]+","matched":1,"delivered":0,"queued":1,"dropped":0,"rejected":0\}$/)
    expect(out[1]).toBe('{"received":1,"handled":0,"dropped":0,"rejected":0,"errors":0,"queued":1,"maxQueued":1}')
  })

  it('block strategy', async () => {
    expect(await run(1)).toEqual(['true 2'])
  })

  it('policies: retry with backoff, then errors$', async () => {
    expect(await run(2)).toEqual(['failed for good: gateway down after 3 attempts'])
  })

  it('retry without a queue: first attempt inside publish', async () => {
    const out = await run(3, 100)
    expect(out).toEqual(['attempt 1', 'published', 'attempt 2'])
  })

  it('dispatch', async () => {
    expect(await run(4)).toEqual(['false', '[["mailer",true,"mail to a@b.c",1],["stock",false,"warehouse offline",2]]', 'true'])
  })

  it('request / reply', async () => {
    expect(await run(5)).toEqual(['{"id":"u1","name":"Ada"}', 'NotFound no user nobody', 'true', 'fast enough'])
  })

  it('inbox', async () => {
    const out = await run(6)
    expect(out).toEqual(['{"value":45.2} {"value":78.1} 0', '{"received":2,"handled":2,"dropped":0,"rejected":0,"errors":0,"queued":0,"maxQueued":2}'])
  })

  it('ctx.publish', async () => {
    const out = await run(8)
    expect(out).toHaveLength(1)
    expect(out[0]).toMatch(/^checkout-7 .+:0$/)
  })

  it('shutdown', async () => {
    // The example's jobs take 100 ms and the drain 250 ms: on real timers a loaded machine let
    // only one job finish in time (drained 1, undelivered 4). On fake timers the outcome is the
    // example's own arithmetic. Real setImmediate turns keep loading the module meanwhile.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    try {
      const state = { settled: false }
      const out = run(9).finally(() => (state.settled = true))
      while (!state.settled) {
        await vi.advanceTimersByTimeAsync(10)
        await new Promise((r) => setImmediate(r))
      }
      expect(await out).toEqual(['{"drained":2,"undelivered":3}'])
    } finally {
      vi.useRealTimers()
    }
  })

  it('priority order', async () => {
    expect(await run(11)).toEqual(['handled p9', 'handled p5', 'handled p1', 'handled p1', 'handled p1'])
  })

  it('lazy handlers', async () => {
    expect(await run(12)).toEqual(['loading the report module', 'report 1', 'report 2'])
  })
})
