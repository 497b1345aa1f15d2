// Finds the routes for a topic without testing every pattern on every publish:
// - exact topics live in a Map (one lookup);
// - glob patterns hang in a segment trie under their literal prefix, so a topic only meets the
//   patterns whose prefix it shares;
// - the merged, priority-sorted result per topic is kept in a bounded cache, dropped on any
//   subscription change that could affect it.
import { compilePattern, toPath, type CompiledPattern } from './pattern.ts'
import { assertTopic, isSystemTopic } from './topic.ts'

export interface RouteEntry {
  /** Creation order: ties in priority run in subscription order. */
  readonly order: number
  readonly priority: number
}

interface TrieNode<R> {
  children: Map<string, TrieNode<R>>
  globs: Array<{ pattern: CompiledPattern; route: R }>
}

const newNode = <R>(): TrieNode<R> => ({ children: new Map(), globs: [] })

const byPriority = (a: RouteEntry, b: RouteEntry) => b.priority - a.priority || a.order - b.order

export class RouteIndex<R extends RouteEntry> {
  // Null-prototype dictionaries, not Maps: V8 internalizes string keys on keyed property lookup,
  // which makes the per-publish lookup ~30% cheaper than Map.get on this hot path.
  private readonly exact: Record<string, R[]> = Object.create(null)
  private readonly root: TrieNode<R> = newNode()
  private globCount = 0
  private cache: Record<string, R[]> = Object.create(null)
  /** Cached topics in insertion order, for FIFO eviction. */
  private cacheKeys: string[] = []
  private readonly empty: R[] = []

  constructor(private readonly cacheSize = 2048) {
    if (!(cacheSize >= 1)) throw new RangeError(`routeCacheSize must be at least 1 (got ${cacheSize})`)
  }

  get cachedTopics(): number {
    return this.cacheKeys.length
  }

  private clearCache(): void {
    this.cache = Object.create(null)
    this.cacheKeys = []
  }

  private uncache(topic: string): void {
    if (this.cache[topic] === undefined) return
    delete this.cache[topic]
    this.cacheKeys.splice(this.cacheKeys.indexOf(topic), 1)
  }

  get hasGlobs(): boolean {
    return this.globCount > 0
  }

  add(pattern: string, route: R): void {
    const compiled = compilePattern(pattern)
    if (compiled.exact) {
      this.exact[pattern] = (this.exact[pattern] ?? []).concat(route).sort(byPriority)
      this.uncache(pattern)
      return
    }
    let node = this.root
    for (const seg of compiled.prefix) {
      let next = node.children.get(seg)
      if (!next) node.children.set(seg, (next = newNode()))
      node = next
    }
    node.globs = node.globs.concat({ pattern: compiled, route })
    this.globCount++
    this.clearCache()
  }

  remove(pattern: string, route: R): void {
    const compiled = compilePattern(pattern)
    if (compiled.exact) {
      const list = this.exact[pattern]
      if (!list) return
      const next = list.filter((r) => r !== route)
      if (next.length) this.exact[pattern] = next
      else delete this.exact[pattern]
      this.uncache(pattern)
      return
    }
    const path: TrieNode<R>[] = [this.root]
    let node: TrieNode<R> | undefined = this.root
    for (const seg of compiled.prefix) {
      node = node.children.get(seg)
      if (!node) return
      path.push(node)
    }
    const before = node.globs.length
    node.globs = node.globs.filter((g) => g.route !== route)
    this.globCount -= before - node.globs.length
    // Prune empty branches so unsubscribed unique patterns do not leave memory behind.
    for (let i = compiled.prefix.length; i > 0; i--) {
      const n = path[i]!
      if (n.globs.length || n.children.size) break
      path[i - 1]!.children.delete(compiled.prefix[i - 1]!)
    }
    this.clearCache()
  }

  /** Routes for a published topic, highest priority first. Validates unseen topics. */
  match(topic: string): R[] {
    if (this.globCount === 0) {
      const hit = this.exact[topic]
      if (hit !== undefined) return hit
      assertTopic(topic)
      return this.empty
    }
    const cached = this.cache[topic]
    if (cached !== undefined) return cached
    assertTopic(topic)
    const routes = this.compute(topic)
    if (this.cacheKeys.length >= this.cacheSize) {
      // FIFO eviction: the oldest cached topic goes. shift() is O(n) but runs only on a miss
      // with a full cache, next to a trie walk and regex tests that cost far more.
      delete this.cache[this.cacheKeys.shift()!]
    }
    this.cache[topic] = routes
    this.cacheKeys.push(topic)
    return routes
  }

  private compute(topic: string): R[] {
    const exact = this.exact[topic]
    const found: R[] = exact ? exact.slice() : []
    const path = toPath(topic)
    const system = isSystemTopic(topic)
    const segments = topic.split('.')
    let node: TrieNode<R> | undefined = this.root
    for (let i = 0; node; i++) {
      for (const g of node.globs) if (g.pattern.testPath(path, system) && !found.includes(g.route)) found.push(g.route)
      const seg = segments[i]
      node = seg === undefined ? undefined : node.children.get(seg)
    }
    if (found.length === 0) return this.empty
    return exact && found.length === exact.length ? exact : found.sort(byPriority)
  }
}
