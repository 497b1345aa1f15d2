import { describe, expect, it } from 'vitest'
import { createBus } from './index.js'
import { readsCtx } from './handler-context.js'

type AnyHandler = (...args: never[]) => unknown

describe('readsCtx: a ctx is built only for handlers that can read it', () => {
  class Handlers {
    one(e: unknown) {
      return e
    }
    two(e: unknown, ctx: unknown) {
      return [e, ctx]
    }
  }
  const h = new Handlers()
  const rows: Array<[string, AnyHandler, boolean]> = [
    ['no parameters', () => 1, false],
    ['one parameter in parens', (e: unknown) => e, false],
    // Built from source: a TypeScript transform would add the parentheses.
    ['a bare arrow parameter', new Function('return e => e')() as AnyHandler, false],
    ['a bare async arrow parameter', new Function('return async e => e')() as AnyHandler, false],
    ['async, one parameter', async (e: unknown) => e, false],
    ['a function expression, one parameter', function (e: unknown) { return e }, false],
    ['a class method, one parameter', h.one, false],
    ['a destructured parameter', ({ type }: { type: string }) => type, false],
    ['two parameters', (e: unknown, ctx: unknown) => [e, ctx], true],
    ['a class method, two parameters', h.two, true],
    ['rest parameters', (...args: unknown[]) => args, true],
    ['a default second parameter', (e: unknown, ctx: unknown = null) => [e, ctx], true],
    ['arguments in the body', function () { return arguments[1] as unknown }, true],
    ['a bound function', h.one.bind(h), true],
    ['a native function', Math.max as AnyHandler, true],
  ]
  it.each(rows)('%s', (_name, fn, expected) => {
    expect(readsCtx(fn)).toBe(expected)
  })

  it('handlers that can read ctx get one; those that cannot get only the event', () => {
    const bus = createBus()
    const seen: unknown[] = []
    bus.subscribe('a', (...args: unknown[]) => void seen.push(args.length, typeof (args[1] as { publish?: unknown } | undefined)?.publish))
    bus.subscribe('a', (e, ctx) => void seen.push(e.type, ctx.attempt))
    bus.subscribe('a', (e) => void seen.push(e.type))
    bus.publish('a')
    expect(seen).toEqual([2, 'function', 'a', 1, 'a'])
  })
})
