import { describe, expect, it } from 'vitest'
import { callerFrames, parseStack, shortUrl } from './stack.ts'

// As V8 prints it for connectDevtools({ trace: true }) (captured from the agent's browser test).
const STACK = `Error
    at onInspect (http://localhost:5173/packages/devtools/src/connect.ts:79:49)
    at TidingsBus.emitInspection (http://localhost:5173/packages/core/src/publishing.ts:307:5)
    at TidingsBus.deliver (http://localhost:5173/packages/core/src/publishing.ts:222:29)
    at TidingsBus.publishInternal (http://localhost:5173/packages/core/src/publishing.ts:135:15)
    at TidingsBus.publish (http://localhost:5173/packages/core/src/publishing.ts:44:52)
    at checkout (http://localhost:5173/src/cart.ts:119:8)
    at http://localhost:5173/src/main.ts:12:3
    at async Promise.all (index 0)`

describe('call sites', () => {
  it('parses V8 frames, named and anonymous', () => {
    const frames = parseStack(STACK)
    expect(frames).toHaveLength(7)
    expect(frames[5]).toMatchObject({ fn: 'checkout', url: 'http://localhost:5173/src/cart.ts', line: 119, col: 8 })
    expect(frames[6]).toMatchObject({ fn: '', url: 'http://localhost:5173/src/main.ts', line: 12, col: 3 })
  })

  it("drops the agent's and core's frames: the first frame shown called bus.publish", () => {
    const { frames, hidden } = callerFrames(STACK)
    expect(hidden).toBe(5)
    expect(frames.map((f) => `${f.fn}@${shortUrl(f.url)}:${f.line}`)).toEqual(['checkout@cart.ts:119', '@main.ts:12'])
  })

  it('skips a run of publishing frames (a handler ctx.publish calling bus.publish) and keeps everything when none is found', () => {
    const nested = STACK.replace('    at checkout', '    at Object.publish (http://localhost:5173/packages/core/src/handler-context.ts:20:3)\n    at checkout')
    expect(callerFrames(nested).frames[0]!.fn).toBe('checkout')
    const foreign = 'Error\n    at a (http://x/a.js:1:1)\n    at b (http://x/b.js:2:2)'
    expect(callerFrames(foreign)).toMatchObject({ hidden: 0, frames: [{ fn: 'a' }, { fn: 'b' }] })
  })
})
