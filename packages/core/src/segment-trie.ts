// Routes for patterns made only of literal, '*' and '**' segments (the shapes almost every
// subscription uses, exact topics included), matched by walking the topic down a trie with '*'
// and '**' edges: no regex, no per-pattern work, cost proportional to the topic's depth.
// Patterns with '?', classes, braces or partial-segment '*' go through the regex path in
// RouteIndex instead.
//
// A topic the route cache has not seen is walked in place: one pass over its characters (TopicScan,
// topic.ts) checks it, finds its segments and hashes each one; literal edges are keyed by that
// hash and confirmed with startsWith. No split(), no substring per segment: on a never-cached topic
// those cost more than the whole walk (~150 ns for split() of a three-segment topic).
import { hasWildcard, SEGMENT_HASH_MASK, type TopicScan } from './topic.js'

interface Node<R> {
  /** The literal segment this node was reached by ('' for the root and wildcard edges). */
  readonly seg: string
  readonly hash: number
  /** The only literal child, while there is exactly one (most nodes below the root): one
   *  integer compare instead of a Map lookup. */
  lone: Node<R> | undefined
  /** Literal children by segment hash once there are several; children whose segments share a
   *  hash chain via `next`. */
  literal: Map<number, Node<R>> | undefined
  /** The next literal sibling with the same segment hash. */
  next: Node<R> | undefined
  star: Node<R> | undefined
  globstar: Node<R> | undefined
  /** Sorted by the caller's order (priority) when added. */
  routes: R[]
}

const newNode = <R>(seg: string, hash = 0): Node<R> => ({
  seg,
  hash,
  lone: undefined,
  literal: undefined,
  next: undefined,
  star: undefined,
  globstar: undefined,
  routes: [],
})

/** The segment hash used for literal edges; the topic scan computes the same value inline. */
export function segmentHash(s: string, start = 0, end = s.length): number {
  let h = 0
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0
  return h & SEGMENT_HASH_MASK
}

/** Whether a pattern can live in the segment trie; returns its segments if so. */
export function simpleSegments(pattern: string): string[] | undefined {
  const segments = pattern.split('.')
  const out: string[] = []
  for (const s of segments) {
    if (s === '*' || s === '**') {
      // '**.**' means the same as '**': fold it so the walk does not branch twice.
      if (s === '**' && out[out.length - 1] === '**') continue
      out.push(s)
      continue
    }
    if (hasWildcard(s)) return undefined
    out.push(s)
  }
  return out
}

/** What a walk found: the first node's route list is borrowed as is (already sorted); a second
 *  non-empty list starts a merged copy. */
class Found<R> {
  list: R[] | undefined
  merged = false

  reset(): void {
    this.list = undefined
    this.merged = false
  }

  add(routes: R[]): void {
    if (routes.length === 0) return
    const list = this.list
    if (list === undefined) {
      this.list = routes
      return
    }
    if (!this.merged) {
      this.list = list.slice()
      this.merged = true
    }
    const out = this.list!
    for (let i = 0; i < routes.length; i++) if (!out.includes(routes[i]!)) out.push(routes[i]!)
  }
}

export class SegmentTrie<R> {
  private readonly root: Node<R> = newNode('')
  private readonly found = new Found<R>()

  /** Replaces the routes of a pattern's node with `update(current)`; an emptied node is pruned
   *  with every branch left empty, so unique patterns leave nothing behind once unsubscribed. */
  update(segments: readonly string[], update: (routes: R[]) => R[]): void {
    const path: Node<R>[] = [this.root]
    let node = this.root
    for (const s of segments) path.push((node = this.child(node, s, true)!))
    node.routes = update(node.routes)
    for (let i = path.length - 1; i > 0; i--) {
      const n = path[i]!
      if (n.routes.length || n.star || n.globstar || n.lone || n.literal?.size) break
      const parent = path[i - 1]!
      const s = segments[i - 1]!
      if (s === '*') parent.star = undefined
      else if (s === '**') parent.globstar = undefined
      else this.unlinkLiteral(parent, n)
    }
  }

  /**
   * The routes whose pattern matches the scanned topic, or undefined for none. A single matching
   * node's list is returned as is (callers must not mutate it); several are merged, deduplicated,
   * in walk order (callers sort). `system`: the topic starts with '$', so wildcards at the first
   * segment must not match it.
   */
  collect(topic: string, scan: TopicScan, system: boolean): R[] | undefined {
    const found = this.found
    found.reset()
    this.walk(this.root, topic, scan, 0, system)
    return found.list
  }

  /** Whether collect() merged several lists (the result then needs sorting). */
  get merged(): boolean {
    return this.found.merged
  }

  private walk(node: Node<R>, topic: string, scan: TopicScan, i: number, system: boolean): void {
    const count = scan.count
    if (i === count) {
      this.found.add(node.routes)
      // '**' also matches zero segments: 'a.**' matches 'a'.
      if (node.globstar) this.walk(node.globstar, topic, scan, i, system)
      return
    }
    const h = scan.hashes[i]!
    let n = node.lone
    if (n !== undefined) {
      if (n.hash !== h) n = undefined
    } else if (node.literal !== undefined) {
      n = node.literal.get(h)
    }
    if (n !== undefined) {
      const start = i === 0 ? 0 : scan.ends[i - 1]! + 1
      const len = scan.ends[i]! - start
      while (n !== undefined && !(n.seg.length === len && topic.startsWith(n.seg, start))) n = n.next
      if (n !== undefined) this.walk(n, topic, scan, i + 1, system)
    }
    if (system && i === 0) return
    if (node.star) this.walk(node.star, topic, scan, i + 1, system)
    const gs = node.globstar
    if (gs) for (let j = i; j <= count; j++) this.walk(gs, topic, scan, j, system)
  }

  private child(node: Node<R>, s: string, create: boolean): Node<R> | undefined {
    if (s === '*') return create ? (node.star ??= newNode('')) : node.star
    if (s === '**') return create ? (node.globstar ??= newNode('')) : node.globstar
    const lone = node.lone
    if (lone !== undefined && lone.seg === s) return lone
    const h = segmentHash(s)
    for (let n = node.literal?.get(h); n !== undefined; n = n.next) if (n.seg === s) return n
    if (!create) return undefined
    const made = newNode<R>(s, h)
    if (lone === undefined && node.literal === undefined) {
      node.lone = made
      return made
    }
    if (lone !== undefined) {
      node.lone = undefined
      node.literal = new Map()
      this.link(node.literal, lone)
    }
    this.link(node.literal!, made)
    return made
  }

  /** Files a literal child under its hash, chaining it in front of any with the same hash. */
  private link(map: Map<number, Node<R>>, child: Node<R>): void {
    child.next = map.get(child.hash)
    map.set(child.hash, child)
  }

  private unlinkLiteral(parent: Node<R>, child: Node<R>): void {
    if (parent.lone === child) {
      parent.lone = undefined
      return
    }
    const map = parent.literal!
    let n = map.get(child.hash)
    if (n === child) {
      if (child.next) map.set(child.hash, child.next)
      else map.delete(child.hash)
    } else {
      while (n !== undefined && n.next !== child) n = n.next
      if (n !== undefined) n.next = child.next
    }
    child.next = undefined
    // Back to the single-child form when one child is left.
    if (map.size === 1) {
      const only = map.values().next().value!
      if (only.next === undefined) {
        parent.literal = undefined
        parent.lone = only
      }
    }
  }
}
