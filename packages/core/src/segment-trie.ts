// Routes for patterns made only of literal segments, '*' and '**' (the shapes almost every
// subscription uses), matched by walking the topic's segments down a trie with '*' and '**'
// edges: no regex, no per-pattern work, cost proportional to the topic's depth. Patterns with
// '?', classes, braces or partial-segment '*' go through the regex path in RouteIndex instead.

interface Node<R> {
  literal: Map<string, Node<R>> | undefined
  star: Node<R> | undefined
  globstar: Node<R> | undefined
  routes: R[]
}

const newNode = <R>(): Node<R> => ({ literal: undefined, star: undefined, globstar: undefined, routes: [] })

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
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      // * ? [ ] { }
      if (c === 42 || c === 63 || c === 91 || c === 93 || c === 123 || c === 125) return undefined
    }
    out.push(s)
  }
  return out
}

export class SegmentTrie<R> {
  private readonly root: Node<R> = newNode()

  add(segments: readonly string[], route: R): void {
    let node = this.root
    for (const s of segments) node = this.child(node, s, true)!
    node.routes = node.routes.concat(route)
  }

  /** Returns whether the route was there. */
  remove(segments: readonly string[], route: R): boolean {
    const path: Array<[Node<R>, string]> = []
    let node: Node<R> | undefined = this.root
    for (const s of segments) {
      const next = this.child(node, s, false)
      if (!next) return false
      path.push([node, s])
      node = next
    }
    const before = node.routes.length
    node.routes = node.routes.filter((r) => r !== route)
    if (node.routes.length === before) return false
    // Prune empty branches so unique patterns leave nothing behind once unsubscribed.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, s] = path[i]!
      const n = this.child(parent, s, false)!
      if (n.routes.length || n.star || n.globstar || n.literal?.size) break
      if (s === '*') parent.star = undefined
      else if (s === '**') parent.globstar = undefined
      else parent.literal!.delete(s)
    }
    return true
  }

  /** Adds the routes whose pattern matches the topic to `found` (deduplicated). `system`:
   *  the topic starts with '$', so wildcards at the first segment must not match it. */
  collect(segments: readonly string[], system: boolean, found: R[]): void {
    this.walk(this.root, segments, 0, system, found)
  }

  private walk(node: Node<R>, segs: readonly string[], i: number, system: boolean, found: R[]): void {
    if (i === segs.length) {
      for (const r of node.routes) if (!found.includes(r)) found.push(r)
      // '**' also matches zero segments: 'a.**' matches 'a'.
      if (node.globstar) this.walk(node.globstar, segs, i, system, found)
      return
    }
    const literal = node.literal?.get(segs[i]!)
    if (literal) this.walk(literal, segs, i + 1, system, found)
    if (system && i === 0) return
    if (node.star) this.walk(node.star, segs, i + 1, system, found)
    const gs = node.globstar
    if (gs) for (let j = i; j <= segs.length; j++) this.walk(gs, segs, j, system, found)
  }

  private child(node: Node<R>, s: string, create: boolean): Node<R> | undefined {
    if (s === '*') return create ? (node.star ??= newNode()) : node.star
    if (s === '**') return create ? (node.globstar ??= newNode()) : node.globstar
    let next = node.literal?.get(s)
    if (!next && create) (node.literal ??= new Map()).set(s, (next = newNode()))
    return next
  }
}
