import * as fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { createBus } from './bus.js'
import { GlobsNotLoadedError, InvalidTopicError } from './errors.js'
import { setExtendedGlobCompiler } from './glob-support.js'
import { compileExtendedGlob } from './globs.js'
import { compilePatterns, toPath } from './pattern.js'
import { compileStarGlob } from './star-glob.js'

// picomatch, configured as '@tidings/core/globs' configures it, is the reference semantics, with
// one correction: picomatch lets '**' after a wildcard segment ('*.**') match one or more segments
// only, where the pattern table (and the router) say zero or more. So a row also matches when it
// matches with one of its '**' segments taken out.
function reference(pattern: string, topic: string): boolean {
  if (compileExtendedGlob(toPath(pattern)).test(toPath(topic))) return true
  const segments = pattern.split('.')
  if (segments.length < 2) return false
  return segments.some((s, i) => s === '**' && reference(segments.filter((_, j) => j !== i).join('.'), topic))
}

describe("'*' and '**' without picomatch", () => {
  const literal = fc.constantFrom('a', 'b', 'ab', 'x-1', 'a$b', 'a+b', 'a(b)', '!(a)', '@(b)', 'a|b', '^')
  const segment = fc.oneof(
    literal,
    fc.constant('*'),
    fc.constant('**'),
    fc.tuple(literal, fc.constantFrom('*', '')).map(([l, s]) => l + s),
    fc.tuple(fc.constantFrom('*', ''), literal).map(([s, l]) => s + l),
    fc.tuple(literal, literal).map(([l, r]) => `${l}*${r}`),
  )
  const pattern = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('.'))
  const topic = fc.array(literal, { minLength: 1, maxLength: 6 }).map((s) => s.join('.'))

  it('matches exactly what picomatch matches, for any pattern and topic', () => {
    fc.assert(
      fc.property(pattern, topic, (p, t) => {
        expect(compileStarGlob(p).test(toPath(t))).toBe(reference(p, t))
      }),
      { numRuns: 5000 },
    )
  })

  it('agrees with picomatch on hand-picked edges', () => {
    const rows: Array<[string, string]> = [
      ['**', 'a'],
      ['**.**', 'a.b'],
      ['a.**.**.b', 'a.b'],
      ['**.a.**', 'x.a'],
      ['a.**', 'a'],
      ['a*', 'a'],
      ['*a*b*', 'xaybz'],
      ['a.*.**.c', 'a.b.c'],
      ['a.*.**.c', 'a.c'],
      ['*a(b)', 'a(b)'],
      ['x.!(a)', 'x.!(a)'],
    ]
    for (const [p, t] of rows) expect([p, t, compileStarGlob(p).test(toPath(t))]).toEqual([p, t, reference(p, t)])
  })
})

describe("'?', '[...]' and '{...}' without '@tidings/core/globs'", () => {
  // The test setup loads the extended matcher; these tests take it away, as an app without the
  // import has it, and put it back afterwards.
  let restore: ReturnType<typeof setExtendedGlobCompiler> | undefined
  afterEach(() => {
    setExtendedGlobCompiler(restore)
  })

  it.each(['{a,b}.x', 'agent.?.started', 'item.[0-9]', 'job.[!abc]'])('refuses %s where it is given, naming the import', (p) => {
    restore = setExtendedGlobCompiler(undefined)
    const bus = createBus()
    let caught: unknown
    try {
      bus.subscribe(p, () => {})
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(GlobsNotLoadedError)
    expect(caught).toBeInstanceOf(InvalidTopicError)
    expect((caught as Error).name).toBe('GlobsNotLoadedError')
    expect((caught as Error).message).toContain(JSON.stringify(p))
    expect((caught as Error).message).toContain("import '@tidings/core/globs'")
    expect(() => bus.on(p)).toThrow(GlobsNotLoadedError)
    expect(() => compilePatterns([p])).toThrow(GlobsNotLoadedError)
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it("still routes '*' and '**' patterns, with no matcher loaded", () => {
    restore = setExtendedGlobCompiler(undefined)
    const bus = createBus()
    const seen: string[] = []
    bus.subscribe('agent.exec*', (e) => seen.push(`exec*:${e.type}`))
    bus.subscribe('**.error', (e) => seen.push(`**.error:${e.type}`))
    bus.subscribe('a.*.c', (e) => seen.push(`a.*.c:${e.type}`))
    for (const t of ['agent.execute', 'agent.exec', 'agent.run', 'db.error', 'error', 'a.b.c', 'a.b.x.c']) bus.publish(t)
    expect(seen).toEqual(['exec*:agent.execute', 'exec*:agent.exec', '**.error:db.error', '**.error:error', 'a.*.c:a.b.c'])
  })

  it('routes brace patterns once the matcher is back', () => {
    restore = setExtendedGlobCompiler(undefined)
    setExtendedGlobCompiler(restore)
    const bus = createBus()
    const seen: string[] = []
    bus.subscribe('{agent,tool.sub}.started', (e) => seen.push(e.type))
    for (const t of ['agent.started', 'tool.sub.started', 'tool.started']) bus.publish(t)
    expect(seen).toEqual(['agent.started', 'tool.sub.started'])
  })
})
