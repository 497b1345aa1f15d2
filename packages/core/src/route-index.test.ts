import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from './delivery-options.js'
import { createBus } from './bus.js'
import { InvalidTopicError } from './errors.js'
import { RouteIndex, type RouteEntry } from './route-index.js'
import { segmentHash } from './segment-trie.js'
import { bridgeHost } from './bridge/host.js'

let order = 0
const route = (priority = 0): RouteEntry & { name: string } => ({ order: order++, priority, name: `r${order}` })

describe('RouteIndex', () => {
  it('keeps the route cache at its bound over 1e6 distinct topics', { timeout: 60_000 }, () => {
    const index = new RouteIndex<RouteEntry>(1000)
    index.add('user.*.login', route())
    index.add('audit.**', route())
    let matched = 0
    for (let i = 0; i < 1_000_000; i++) {
      matched += index.match(i % 10 === 0 ? `user.u${i}.login` : `req.r${i}.done`).length
      if (index.cachedTopics > 1000) throw new Error(`cache grew to ${index.cachedTopics} at ${i}`)
    }
    expect(matched).toBe(100_000)
    expect(index.cachedTopics).toBe(1000)
  })

  it('rejects a bad routeCacheSize with a typed error naming the option', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createBus({ routeCacheSize: bad })).toThrow(InvalidOptionError)
      expect(() => createBus({ routeCacheSize: bad })).toThrow('Invalid option routeCacheSize')
    }
    expect(bridgeHost(createBus({ routeCacheSize: 1 }), 'test').routeCacheSize).toBe(0)
  })

  it('does not cache exact-only lookups at all', () => {
    const index = new RouteIndex<RouteEntry>(10)
    const r = route()
    index.add('a.b', r)
    for (let i = 0; i < 1000; i++) index.match(`t${i}`)
    expect(index.match('a.b')).toEqual([r])
    expect(index.cachedTopics).toBe(0)
  })

  it('never evicts a glob-tested topic for one whose trie walk met no glob', () => {
    const index = new RouteIndex<RouteEntry>(10)
    const r = route()
    index.add('orders.*', r)
    for (let i = 0; i < 10; i++) expect(index.match(`orders.o${i}`)).toEqual([r])
    expect(index.cachedTopics).toBe(10)
    const cache = (index as unknown as { cache: Map<string, unknown> }).cache
    for (let i = 0; i < 100; i++) expect(index.match(`req.r${i}`)).toEqual([])
    expect([...cache.keys()]).toEqual(Array.from({ length: 10 }, (_, i) => `orders.o${i}`))
    expect(index.match('orders.new')).toEqual([r])
    expect(cache.has('orders.new')).toBe(true)
    expect(index.cachedTopics).toBe(10)
  })

  it('orders by priority, then by subscription order, and dedupes a route matched twice', () => {
    const index = new RouteIndex<RouteEntry>()
    const low = route(0)
    const high = route(10)
    const mid = route(5)
    const both = route(1)
    index.add('a.b', low)
    index.add('a.*', high)
    index.add('**', mid)
    index.add('a.b', both)
    index.add('a.**', both)
    expect(index.match('a.b')).toEqual([high, mid, both, low])
  })

  it('checks each pattern it files, though it checks a repeated one once', () => {
    const index = new RouteIndex<RouteEntry>()
    const [a, b, c, d] = [route(), route(), route(5), route()]
    index.add('x.y', a)
    index.add('x.y', b)
    // A pattern other than the last checked one is checked again, and a bad one files nothing.
    expect(() => index.add('x..y', c)).toThrow(InvalidTopicError)
    expect(() => index.add('x.**y', c)).toThrow(InvalidTopicError)
    index.add('x.*', c)
    index.add('x.y', d)
    expect(index.match('x.y')).toEqual([c, a, b, d])
    expect(index.match('x.z')).toEqual([c])
    expect(() => index.match('x..y')).toThrow(InvalidTopicError)
  })

  it('invalidates cached routes on subscribe and unsubscribe', () => {
    const index = new RouteIndex<RouteEntry>()
    const g = route()
    index.add('a.*', g)
    expect(index.match('a.b')).toEqual([g])
    const e = route()
    index.add('a.b', e)
    expect(index.match('a.b')).toEqual([g, e])
    index.remove('a.*', g)
    expect(index.match('a.b')).toEqual([e])
    index.remove('a.b', e)
    expect(index.match('a.b')).toEqual([])
  })

  it('only tests patterns that share the topic prefix', () => {
    const index = new RouteIndex<RouteEntry>()
    let tested = 0
    // 10k patterns under distinct literal prefixes: a topic meets one branch of the trie.
    for (let i = 0; i < 10_000; i++) index.add(`p${i}.*.c`, route())
    const proto = Object.getPrototypeOf(/x/) as RegExp
    const orig = proto.test
    proto.test = function (this: RegExp, s: string) {
      tested++
      return orig.call(this, s)
    }
    try {
      expect(index.match('p42.x.c')).toHaveLength(1)
    } finally {
      proto.test = orig
    }
    // A naive router would run 10k regex tests here; topic validation runs a couple of its own.
    expect(tested).toBeLessThan(10)
  })

  it('prunes empty trie branches on unsubscribe', () => {
    const index = new RouteIndex<RouteEntry>()
    const rs = Array.from({ length: 100 }, (_, i) => [`u${i}.x.*`, route()] as const)
    for (const [p, r] of rs) index.add(p, r)
    for (const [p, r] of rs) index.remove(p, r)
    expect(index.hasGlobs).toBe(false)
    expect((index as unknown as { globs: Map<string, unknown> }).globs.size).toBe(0)
    const trie = (index as unknown as { segments: { root: { lone?: unknown; literal?: Map<number, unknown> } } }).segments.root
    expect([trie.lone, trie.literal?.size ?? 0]).toEqual([undefined, 0])
  })

  it('removes one route of several under the same wildcard pattern', () => {
    const index = new RouteIndex<RouteEntry>()
    const [a, b] = [route(), route()]
    index.add('x.**', a)
    index.add('x.**', b)
    index.add('x.[ab]', a)
    expect(index.match('x.a')).toEqual([a, b])
    index.remove('x.**', a)
    // a still matches through 'x.[ab]' (the regex path); order stays by subscription
    expect(index.match('x.a')).toEqual([a, b])
    index.remove('x.[ab]', a)
    index.remove('x.**', b)
    expect(index.match('x.a')).toEqual([])
    expect(index.hasGlobs).toBe(false)
  })

  it('tells apart segments whose hashes collide, and prunes one without losing the other', () => {
    // 'Aa' and 'BB' have the same segment hash (65*31+97 = 66*31+66): the literal edges chain.
    expect(segmentHash('Aa')).toBe(segmentHash('BB'))
    const index = new RouteIndex<RouteEntry>()
    const [aa, bb, star] = [route(), route(), route()]
    index.add('Aa.x', aa)
    index.add('BB.x', bb)
    index.add('q.*', star) // a wildcard, so lookups walk the trie
    expect(index.match('Aa.x')).toEqual([aa])
    expect(index.match('BB.x')).toEqual([bb])
    expect(index.match('AB.x')).toEqual([])
    expect(index.match('Aa.y')).toEqual([])
    index.remove('Aa.x', aa)
    expect(index.match('Aa.x')).toEqual([])
    expect(index.match('BB.x')).toEqual([bb])
    index.add('Aa.**', aa)
    index.remove('BB.x', bb)
    expect(index.match('BB.x')).toEqual([])
    expect(index.match('Aa.x.y')).toEqual([aa])
    index.remove('Aa.**', aa)
    index.remove('q.*', star)
    const trie = (index as unknown as { segments: { root: { lone?: unknown; literal?: Map<number, unknown> } } }).segments.root
    expect([trie.lone, trie.literal?.size ?? 0]).toEqual([undefined, 0])
  })

  it('validates a never-seen topic in the same pass that splits it, naming the broken rule', () => {
    const index = new RouteIndex<RouteEntry>()
    index.add('a.*', route())
    for (const [bad, rule] of [
      ['a..b', 'empty segment'],
      ['.a', "start with '.'"],
      ['a.', 'trailing dot'],
      ['a.b c', 'whitespace'],
      ['a.\u00a0', 'whitespace'],
      ['a/b', "'/'"],
      ['a.*', "wildcard character '*'"],
      ['a.{b}', "wildcard character '{'"],
      ['x'.repeat(256), 'at most 255'],
      ['', 'empty'],
    ] as const) {
      expect(() => index.match(bad), JSON.stringify(bad)).toThrow(InvalidTopicError)
      expect(() => index.match(bad), JSON.stringify(bad)).toThrow(rule)
    }
    expect(index.match('a.b')).toHaveLength(1)
    expect(index.match('a.b-c_d:e\u00e9')).toHaveLength(1)
  })

  it('keeps routing right as a node goes from one literal child to several and back', () => {
    const index = new RouteIndex<RouteEntry>()
    const [x, y, z] = [route(), route(), route()]
    index.add('p.x.*', x)
    expect(index.match('p.x.1')).toEqual([x])
    index.add('p.y.*', y) // 'p' now has two literal children
    index.add('p.z', z)
    expect([index.match('p.x.1'), index.match('p.y.1'), index.match('p.z'), index.match('p.w.1')]).toEqual([[x], [y], [z], []])
    index.remove('p.x.*', x)
    index.remove('p.z', z) // one child left: back to the single-child form
    expect([index.match('p.x.1'), index.match('p.y.1'), index.match('p.z')]).toEqual([[], [y], []])
    const p = (index as unknown as { segments: { root: { lone?: { lone?: { seg: string }; literal?: unknown } } } }).segments.root.lone
    expect([p?.lone?.seg, p?.literal]).toEqual(['y', undefined])
  })
})
