// The adaptive, negative-aware route cache (route-index.ts): whatever it holds, grows to or
// forgets, match() must return exactly what an uncached matcher returns.
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { byPriority, RouteIndex, type RouteEntry } from './route-index.js'
import { compilePattern, toPath } from './pattern.js'
import { isSystemTopic } from './topic.js'
import { compileExtendedGlob } from './globs.js'

interface Sub extends RouteEntry {
  pattern: string
}

const internals = (index: RouteIndex<RouteEntry>) =>
  index as unknown as { capacity: number; cache: Map<string, unknown>; ghost: Int32Array | undefined; globs: Map<string, unknown> }

/** An index whose cache starts at `start` topics (2048 in a bus) and may grow to `bound`. */
function small<R extends RouteEntry>(bound: number, start: number): RouteIndex<R> {
  const index = new RouteIndex<R>(bound)
  internals(index).capacity = Math.min(start, bound)
  return index
}

/** The uncached reference: every live subscription whose pattern matches, in route order. */
const reference = (subs: readonly Sub[], topic: string): Sub[] =>
  subs.filter((s) => compilePattern(s.pattern).testPath(toPath(topic), isSystemTopic(topic))).sort(byPriority)

// '?', classes and braces (patterns on the regex path): importing globs.ts turns them on.
expect(typeof compileExtendedGlob).toBe('function')

describe('adaptive route cache', () => {
  it('grows while a cycle of topics larger than it recurs, then holds them all, negatives included', () => {
    const index = small<RouteEntry>(64, 4)
    const r = { order: 0, priority: 0 }
    index.add('a.*', r)
    const topics = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? `a.t${i}` : `u${i}.x`))
    for (let cycle = 0; cycle < 100; cycle++) {
      for (const t of topics) expect(index.match(t)).toEqual(t.startsWith('a.') ? [r] : [])
    }
    expect(internals(index).capacity).toBe(64)
    expect(index.cachedTopics).toBe(40)
    // Negative entries share one empty array: a cached miss costs a Map slot, nothing more.
    const cache = internals(index).cache
    expect(cache.get('u1.x')).toBe(cache.get('u2.x'))
    expect(cache.get('u1.x')).toEqual([])
  })

  it('never grows for topics that do not recur (unique ids), and stays at its bound', () => {
    const index = small<RouteEntry>(4096, 16)
    index.add('user.*.login', { order: 0, priority: 0 })
    let matched = 0
    for (let i = 0; i < 200_000; i++) matched += index.match(i % 10 === 0 ? `user.u${i}.login` : `req.r${i}.done`).length
    expect(matched).toBe(20_000)
    expect(internals(index).capacity).toBe(16)
    expect(index.cachedTopics).toBe(16)
  })

  it('stops at the bound: 65,536 topics by default, routeCacheSize when given', () => {
    const index = small<RouteEntry>(100, 8)
    index.add('a.**', { order: 0, priority: 0 })
    const topics = Array.from({ length: 500 }, (_, i) => `a.t${i}`)
    for (let cycle = 0; cycle < 40; cycle++) for (const t of topics) index.match(t)
    expect(internals(index).capacity).toBe(100)
    expect(index.cachedTopics).toBeLessThanOrEqual(100)
    expect(internals(new RouteIndex<RouteEntry>()).capacity).toBe(2048)
    expect((new RouteIndex<RouteEntry>() as unknown as { bound: number }).bound).toBe(65_536)
  })

  it('drops cached negatives and positives on subscribe and unsubscribe after growing', () => {
    const index = small<RouteEntry>(256, 4)
    const star = { order: 0, priority: 0 }
    index.add('q.*', star)
    const topics = Array.from({ length: 60 }, (_, i) => `u.t${i}`)
    for (let cycle = 0; cycle < 40; cycle++) for (const t of topics) expect(index.match(t)).toEqual([])
    expect(internals(index).capacity).toBeGreaterThan(4)
    expect(index.cachedTopics).toBe(60)
    const glob = { order: 1, priority: 0 }
    index.add('u.*', glob)
    for (const t of topics) expect(index.match(t)).toEqual([glob])
    const exact = { order: 2, priority: 5 }
    index.add('u.t7', exact)
    expect(index.match('u.t7')).toEqual([exact, glob])
    index.remove('u.*', glob)
    expect(index.match('u.t7')).toEqual([exact])
    expect(index.match('u.t8')).toEqual([])
    index.remove('u.t7', exact)
    expect(index.match('u.t7')).toEqual([])
  })
})

describe('property: the cached index answers what an uncached matcher answers', () => {
  const seg = fc.constantFrom('a', 'b', 'c', 'Aa', 'BB')
  // '*', '**' go to the segment trie; 'A?', '[ab]', '{a,c}', 'B*' to the regex path.
  const patSeg = fc.oneof(seg, fc.constantFrom('*', '**'), fc.constantFrom('A?', '[ab]', '{a,c}', 'B*'))
  const patternArb = fc
    .tuple(fc.boolean(), fc.array(patSeg, { minLength: 1, maxLength: 3 }))
    .map(([system, segs]) => (system ? ['$sys', ...segs] : segs).join('.'))
  const topicArb = fc
    .tuple(fc.integer({ min: 0, max: 9 }), fc.array(seg, { minLength: 1, maxLength: 3 }))
    .map(([head, segs]) => (head === 0 ? ['$sys', ...segs] : head < 4 ? [`n${head}`, ...segs] : segs).join('.'))
  type Op =
    | { kind: 'sub'; pattern: string; priority: number }
    | { kind: 'unsub'; at: number }
    | { kind: 'publish'; topics: string[]; repeat: number }
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('sub' as const), pattern: patternArb, priority: fc.integer({ min: 0, max: 2 }) }),
    fc.record({ kind: fc.constant('unsub' as const), at: fc.nat() }),
    // Repeated cycles of up to 40 topics: enough to fill a small cache and make it grow.
    fc.record({
      kind: fc.constant('publish' as const),
      topics: fc.array(topicArb, { minLength: 1, maxLength: 40 }),
      repeat: fc.integer({ min: 1, max: 12 }),
    }),
  )

  it('through growth, negative entries, eviction and invalidation', () => {
    let grew = 0
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 8 }), fc.array(opArb, { maxLength: 30 }), (bound, start, ops) => {
        const index = small<Sub>(bound, start)
        const subs: Sub[] = []
        let order = 0
        for (const op of ops) {
          if (op.kind === 'sub') {
            const s: Sub = { order: order++, priority: op.priority, pattern: op.pattern }
            index.add(s.pattern, s)
            subs.push(s)
          } else if (op.kind === 'unsub') {
            if (subs.length === 0) continue
            const [s] = subs.splice(op.at % subs.length, 1)
            index.remove(s!.pattern, s!)
          } else {
            for (let r = 0; r < op.repeat; r++) {
              for (const t of op.topics) expect(index.match(t), `${t} against ${subs.map((s) => s.pattern).join(' ')}`).toEqual(reference(subs, t))
            }
          }
          expect(index.cachedTopics).toBeLessThanOrEqual(bound)
          expect(internals(index).capacity).toBeLessThanOrEqual(bound)
        }
        if (internals(index).capacity > Math.min(start, bound)) grew++
      }),
      { numRuns: 800 },
    )
    // The runs did exercise growth (and a cache past its first size), not only the first size.
    expect(grew).toBeGreaterThan(20)
  })
})

describe('regex-path patterns', () => {
  it('are filed by literal prefix, met by every prefix of a topic, and their lists go when empty', () => {
    const index = new RouteIndex<RouteEntry>()
    const [root, one, two, whole] = [0, 1, 2, 3].map((order) => ({ order, priority: 0 }))
    index.add('{a,b}.x', root!)
    index.add('a.[xy]', one!)
    index.add('a.x.?', two!)
    index.add('a.x.y.{z,}', whole!)
    expect(internals(index).globs.size).toBe(4)
    expect(index.match('a.x')).toEqual([root, one])
    expect(index.match('b.x')).toEqual([root])
    expect(index.match('a.x.q')).toEqual([two])
    expect(index.match('a.x.y')).toEqual([two]) // '?' is one character
    expect(index.match('a.x.y.z')).toEqual([whole])
    expect(index.match('c')).toEqual([])
    index.remove('a.[xy]', one!)
    index.remove('a.x.?', two!)
    expect(index.match('a.x')).toEqual([root])
    expect(index.match('a.x.q')).toEqual([])
    index.remove('{a,b}.x', root!)
    index.remove('a.x.y.{z,}', whole!)
    expect(internals(index).globs.size).toBe(0)
    expect(index.hasGlobs).toBe(false)
  })
})
