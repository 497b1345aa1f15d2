// The segment trie on its own: literal, '*' and '**' edges, literal edges keyed by segment hash
// (colliding hashes chain), the single-literal-child form, pruning, and a property test against
// the glob semantics of compilePattern.
import { describe, expect, it } from 'vitest'
import * as fc from 'fast-check'
import { compilePattern, toPath } from './pattern.js'
import { SegmentTrie, segmentHash, simpleSegments } from './segment-trie.js'
import { isSystemTopic, TopicScan } from './topic.js'

/** The trie's private node shape, read by the tests that check its structure. */
interface NodeView {
  seg: string
  hash: number
  lone: NodeView | undefined
  literal: Map<number, NodeView> | undefined
  next: NodeView | undefined
  star: NodeView | undefined
  globstar: NodeView | undefined
  routes: string[]
}
const rootOf = (t: SegmentTrie<string>) => (t as unknown as { root: NodeView }).root

/** Every node reachable from the root, the root included. */
function nodes(t: SegmentTrie<string>): NodeView[] {
  const out: NodeView[] = []
  const visit = (n: NodeView) => {
    out.push(n)
    if (n.lone) visit(n.lone)
    for (const head of n.literal?.values() ?? []) for (let c: NodeView | undefined = head; c; c = c.next) visit(c)
    if (n.star) visit(n.star)
    if (n.globstar) visit(n.globstar)
  }
  visit(rootOf(t))
  return out
}

/** True when every node but the root holds routes or leads to some. */
const noEmptyNodes = (t: SegmentTrie<string>) =>
  nodes(t).every((n) => n === rootOf(t) || n.routes.length > 0 || n.lone || n.literal?.size || n.star || n.globstar)

class Trie {
  readonly trie = new SegmentTrie<string>()
  private readonly scan = new TopicScan()

  add(pattern: string, route = pattern): this {
    this.trie.update(simpleSegments(pattern)!, (routes) => [...routes, route])
    return this
  }

  remove(pattern: string, route = pattern): this {
    this.trie.update(simpleSegments(pattern)!, (routes) => routes.filter((r) => r !== route))
    return this
  }

  /** The routes matching `topic`, sorted (collect() returns them in walk order). */
  match(topic: string): string[] {
    expect(this.scan.scan(topic)).toBe(true)
    return [...(this.trie.collect(topic, this.scan, isSystemTopic(topic)) ?? [])].sort()
  }
}

describe('segmentHash', () => {
  it('is the 31-multiplier string hash, masked to a small integer; Aa and BB collide', () => {
    expect(segmentHash('a')).toBe(97)
    expect(segmentHash('ab')).toBe(97 * 31 + 98)
    expect(segmentHash('Aa')).toBe(2112)
    expect(segmentHash('BB')).toBe(2112)
    expect(segmentHash('xAay', 1, 3)).toBe(2112)
    expect(segmentHash('a-much-longer-segment-than-thirty-bits')).toBeLessThanOrEqual(0x3fffffff)
    expect(segmentHash('a-much-longer-segment-than-thirty-bits')).toBeGreaterThanOrEqual(0)
  })

  it("matches the topic scan's inline hashes", () => {
    const scan = new TopicScan()
    expect(scan.scan('Aa.BB.order-created')).toBe(true)
    expect([...scan.hashes.slice(0, scan.count)]).toEqual(['Aa', 'BB', 'order-created'].map((s) => segmentHash(s)))
  })
})

describe('simpleSegments', () => {
  it("splits literal, '*' and '**' patterns, folds '**.**', refuses partial-segment globs", () => {
    expect(simpleSegments('a.*.b')).toEqual(['a', '*', 'b'])
    expect(simpleSegments('**.**.a.**.**')).toEqual(['**', 'a', '**'])
    expect(simpleSegments('a.ex*')).toBeUndefined()
    expect(simpleSegments('a.?')).toBeUndefined()
  })
})

describe('SegmentTrie', () => {
  it('literal patterns match their topic only', () => {
    const t = new Trie().add('a.b').add('a').add('a.b.c')
    expect(t.match('a.b')).toEqual(['a.b'])
    expect(t.match('a')).toEqual(['a'])
    expect(t.match('a.b.c')).toEqual(['a.b.c'])
    expect(t.match('a.c')).toEqual([])
    expect(t.match('b')).toEqual([])
    expect(t.match('a.bb')).toEqual([])
    expect(t.match('ab')).toEqual([])
  })

  it("'*' matches exactly one segment", () => {
    const t = new Trie().add('a.*').add('*.b').add('*')
    expect(t.match('a.x')).toEqual(['a.*'])
    expect(t.match('a.b')).toEqual(['*.b', 'a.*'])
    expect(t.match('a')).toEqual(['*'])
    expect(t.match('x.y.b')).toEqual([])
    expect(t.match('a.x.y')).toEqual([])
  })

  it("'**' matches zero or more segments, at the start, middle and end", () => {
    const t = new Trie().add('a.**').add('**.z').add('a.**.z').add('**')
    expect(t.match('a')).toEqual(['**', 'a.**'])
    expect(t.match('a.x.y')).toEqual(['**', 'a.**'])
    expect(t.match('z')).toEqual(['**', '**.z'])
    expect(t.match('q.r.z')).toEqual(['**', '**.z'])
    expect(t.match('a.z')).toEqual(['**', '**.z', 'a.**', 'a.**.z'])
    expect(t.match('a.b.c.z')).toEqual(['**', '**.z', 'a.**', 'a.**.z'])
    expect(t.match('b')).toEqual(['**'])
  })

  it("wildcards at the first segment never match a system topic; a '$' pattern does", () => {
    const t = new Trie().add('**').add('*.error').add('$tidings.*').add('$tidings.**')
    expect(t.match('$tidings.error')).toEqual(['$tidings.*', '$tidings.**'])
    expect(t.match('$tidings')).toEqual(['$tidings.**'])
    expect(t.match('app.error')).toEqual(['**', '*.error'])
  })

  it('one matching node lends its list as is; several are merged without duplicates', () => {
    const t = new Trie().add('a.*', 'r1').add('a.*', 'r2').add('a.b', 'r2').add('a.b', 'r3')
    const scan = new TopicScan()
    scan.scan('a.x')
    const single = t.trie.collect('a.x', scan, false)
    expect(single).toEqual(['r1', 'r2'])
    expect(t.trie.merged).toBe(false)
    scan.scan('a.b')
    expect([...t.trie.collect('a.b', scan, false)!].sort()).toEqual(['r1', 'r2', 'r3'])
    expect(t.trie.merged).toBe(true)
    // The lent list was not touched by the merge.
    expect(single).toEqual(['r1', 'r2'])
  })

  it('a node with one literal child keeps it in `lone`; a second child moves both to the hash map, and back', () => {
    const t = new Trie().add('a.b')
    const root = rootOf(t.trie)
    expect(root.lone?.seg).toBe('a')
    expect(root.literal).toBeUndefined()
    t.add('c')
    expect(root.lone).toBeUndefined()
    expect([...root.literal!.keys()].sort()).toEqual([segmentHash('a'), segmentHash('c')].sort())
    expect(t.match('a.b')).toEqual(['a.b'])
    expect(t.match('c')).toEqual(['c'])
    t.remove('c')
    expect(root.literal).toBeUndefined()
    expect(root.lone?.seg).toBe('a')
    expect(t.match('a.b')).toEqual(['a.b'])
    expect(t.match('c')).toEqual([])
  })

  it("a lone child is confirmed by its text, not just its hash ('Aa' does not match 'BB')", () => {
    const t = new Trie().add('Aa.x')
    expect(rootOf(t.trie).lone?.seg).toBe('Aa')
    expect(t.match('Aa.x')).toEqual(['Aa.x'])
    expect(t.match('BB.x')).toEqual([])
  })

  it('siblings with colliding hashes chain under one key; each matches, and either can be removed', () => {
    expect(segmentHash('AaAa')).toBe(segmentHash('BBBB'))
    expect(segmentHash('AaBB')).toBe(segmentHash('BBAa'))
    expect(segmentHash('AaAa')).toBe(segmentHash('AaBB'))
    const colliding = ['AaAa', 'AaBB', 'BBAa', 'BBBB']
    const t = new Trie()
    for (const s of colliding) t.add(`${s}.end`)
    const root = rootOf(t.trie)
    expect(root.literal!.size).toBe(1)
    const chain: string[] = []
    for (let n = root.literal!.get(segmentHash('AaAa')); n; n = n.next) chain.push(n.seg)
    expect(chain.sort()).toEqual([...colliding].sort())
    for (const s of colliding) expect(t.match(`${s}.end`)).toEqual([`${s}.end`])
    expect(t.match('AaAb.end')).toEqual([])

    // Remove from the middle, the head and the tail of the chain.
    const head = root.literal!.get(segmentHash('AaAa'))!.seg
    t.remove('AaBB.end').remove(`${head}.end`)
    const left = colliding.filter((s) => s !== 'AaBB' && s !== head)
    for (const s of colliding) expect(t.match(`${s}.end`)).toEqual(left.includes(s) ? [`${s}.end`] : [])
    expect(noEmptyNodes(t.trie)).toBe(true)
    for (const s of left) t.remove(`${s}.end`)
    expect(root.literal).toBeUndefined()
    expect(root.lone).toBeUndefined()
    expect(nodes(t.trie)).toHaveLength(1)
  })

  it('many siblings (a wide node) all match, under their hashes', () => {
    const t = new Trie()
    for (let i = 0; i < 2000; i++) t.add(`wide.s${i}`)
    for (let i = 0; i < 2000; i += 97) expect(t.match(`wide.s${i}`)).toEqual([`wide.s${i}`])
    expect(t.match('wide.s2000')).toEqual([])
    for (let i = 0; i < 2000; i++) t.remove(`wide.s${i}`)
    expect(nodes(t.trie)).toHaveLength(1)
  })

  it('removal prunes every node left empty and keeps nodes that still lead somewhere', () => {
    const t = new Trie().add('a.b.c').add('a.*.d').add('a.**').add('x.**.y')
    expect(nodes(t.trie).length).toBeGreaterThan(1)
    t.remove('a.b.c')
    expect(noEmptyNodes(t.trie)).toBe(true)
    expect(t.match('a.b.d')).toEqual(['a.**', 'a.*.d'])
    t.remove('a.**')
    expect(noEmptyNodes(t.trie)).toBe(true)
    expect(t.match('a.b.d')).toEqual(['a.*.d'])
    expect(t.match('a')).toEqual([])
    // Removing what is not there changes nothing.
    t.remove('a.*.d', 'someone-else').remove('q.r')
    expect(t.match('a.b.d')).toEqual(['a.*.d'])
    expect(noEmptyNodes(t.trie)).toBe(true)
    t.remove('a.*.d').remove('x.**.y')
    expect(nodes(t.trie)).toHaveLength(1)
    const root = rootOf(t.trie)
    expect([root.lone, root.literal, root.star, root.globstar]).toEqual([undefined, undefined, undefined, undefined])
  })

  it('a pattern with several routes keeps its node until the last route leaves', () => {
    const t = new Trie().add('a.*', 'r1').add('a.*', 'r2')
    t.remove('a.*', 'r1')
    expect(t.match('a.b')).toEqual(['r2'])
    t.remove('a.*', 'r2')
    expect(t.match('a.b')).toEqual([])
    expect(nodes(t.trie)).toHaveLength(1)
  })
})

describe('property: the trie matches exactly what compilePattern matches', () => {
  // Small alphabets so that patterns and topics meet often; 'Aa'/'BB' collide.
  const seg = fc.constantFrom('a', 'b', 'Aa', 'BB', 'c-d')
  const patSeg = fc.oneof(seg, fc.constantFrom('*', '**'))
  const pattern = fc
    .tuple(fc.boolean(), fc.array(patSeg, { minLength: 1, maxLength: 4 }))
    .map(([system, segs]) => (system ? ['$sys', ...segs] : segs).join('.'))
  const topicArb = fc
    .tuple(fc.boolean(), fc.array(seg, { minLength: 1, maxLength: 5 }))
    .map(([system, segs]) => (system ? ['$sys', ...segs] : segs).join('.'))

  it('for random patterns (added, some removed) and topics', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(pattern, { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        fc.array(topicArb, { minLength: 1, maxLength: 12 }),
        (patterns, removed, topics) => {
          const t = new Trie()
          for (const p of patterns) t.add(p)
          const kept = patterns.filter((_, i) => !removed[i])
          for (const p of patterns) if (!kept.includes(p)) t.remove(p)
          expect(noEmptyNodes(t.trie)).toBe(true)
          for (const topic of topics) {
            const expected = kept.filter((p) => compilePattern(p).testPath(toPath(topic), isSystemTopic(topic))).sort()
            expect(t.match(topic), `${topic} against ${kept.join(' ')}`).toEqual(expected)
          }
        },
      ),
      { numRuns: 500 },
    )
  })
})
