// Finds the routes for a topic without testing every pattern on every publish:
// - exact topics live in a Map, and only there (one lookup while no wildcard pattern exists;
//   added to what the trie finds otherwise);
// - patterns made of literal, '*' and '**' segments live in a SegmentTrie walked in place along
//   the topic (no regex, no split);
// - other globs ('?', classes, braces, 'exec*') hang in a trie under their literal prefix, so a
//   topic only meets the regexes of patterns whose prefix it shares;
// - the merged, sorted result per topic is kept in a bounded cache, dropped on any subscription
//   change that could affect it.
// Routes are sorted buffered first (queued handlers and inboxes, see RouteEntry.queue), then by
// priority, then in subscription order: sorted once here, so publish pays nothing for it.
import { checkNumber } from './delivery-options.js'
import { compilePattern, toPath, type CompiledPattern } from './pattern.js'
import { SegmentTrie, simpleSegments } from './segment-trie.js'
import { assertPattern, assertTopic, hasWildcard, isSystemTopic, TopicScan } from './topic.js'

export interface RouteEntry {
  /** Creation order: ties in priority run in subscription order. */
  readonly order: number
  readonly priority: number
  /** Set for routes that take events into a buffer (a queued handler, an inbox) and run no code
   *  of the app in publish. Buffered routes are offered an event before any handler runs inside
   *  publish, so an event a handler publishes from there (a higher seq) cannot reach a buffer
   *  before it. */
  readonly queue?: unknown
}

interface TrieNode<R> {
  children: Map<string, TrieNode<R>>
  globs: Array<{ pattern: CompiledPattern; route: R }>
}

const newNode = <R>(): TrieNode<R> => ({ children: new Map(), globs: [] })

/** Highest priority first, then in subscription order. */
export const byPriority = (a: RouteEntry, b: RouteEntry) => b.priority - a.priority || a.order - b.order
/** Buffered routes first, then byPriority. */
const routeOrder = (a: RouteEntry, b: RouteEntry) => +!a.queue - +!b.queue || byPriority(a, b)

export class RouteIndex<R extends RouteEntry> {
  // A Map, not a dictionary object: a keyed load on an object internalizes a fresh topic string
  // into V8's string table, which made every publish of a never-seen topic ~5x slower.
  private readonly exact = new Map<string, R[]>()
  private readonly root: TrieNode<R> = newNode()
  /** Wildcard patterns of both kinds; 0 means exact lookups only. */
  private globCount = 0
  /** Patterns made of literal, '*' and '**' segments with at least one wildcard (exact topics
   *  are only in `exact`). */
  private readonly segments = new SegmentTrie<R>()
  private readonly scan = new TopicScan()
  /** Patterns on the regex path. */
  private regexCount = 0
  // A Map, not a dictionary object: the cache churns (insert + evict per miss) and V8 dictionary
  // objects degrade under constant deletes (~2x slower here).
  private readonly cache = new Map<string, R[]>()
  /** Whether the last compute() found routes or tested a regex: only such results are worth a
   *  cache slot when the cache is full. */
  private worthCaching = false
  // `declare`d: set in the constructor (see TidingsBus).
  /** Ring of cached topics in insertion order, for O(1) FIFO eviction. A slot may hold a topic
   *  that was since uncached; evicting it then is a no-op (or an early eviction), never a leak. */
  private declare readonly ring: Array<string | undefined>
  private ringNext = 0
  private readonly empty: R[] = []

  private declare readonly cacheSize: number
  constructor(cacheSize = 2048) {
    this.cacheSize = checkNumber(cacheSize, 'routeCacheSize', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1')
    this.ring = new Array<string | undefined>(cacheSize).fill(undefined)
  }

  get cachedTopics(): number {
    return this.cache.size
  }

  private clearCache(): void {
    if (this.cache.size === 0) return
    this.cache.clear()
    this.ring.fill(undefined)
  }

  private remember(topic: string, routes: R[]): void {
    const slot = this.ringNext
    const old = this.ring[slot]
    if (old !== undefined) this.cache.delete(old)
    this.ring[slot] = topic
    this.ringNext = slot + 1 === this.cacheSize ? 0 : slot + 1
    this.cache.set(topic, routes)
  }

  get hasGlobs(): boolean {
    return this.globCount > 0
  }

  /**
   * Publishes in progress (and publishAsync calls holding their routes across an await). While
   * it is not 0, a change to a route list copies that list first (copy on write), so a list being
   * delivered to never changes under the loop; otherwise lists change in place, which keeps
   * registering N handlers on one topic O(N log N) instead of O(N^2).
   */
  pinned = 0

  /** Where `route` is or goes in `list` (binary search in route order; a new route has the
   *  highest creation order, so it goes after every route that sorts equal to it). */
  private at(list: R[], route: R): number {
    let lo = 0
    let hi = list.length
    // The usual case (same priority and kind as the last route): it goes last.
    if (hi === 0 || routeOrder(list[hi - 1]!, route) < 0) return hi
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (routeOrder(list[mid]!, route) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** `list` with `route` inserted (`add`) or taken out, changed in place unless pinned. */
  private change(list: R[], route: R, add: boolean): R[] {
    let i = this.at(list, route)
    // A route's priority never changes, so the search finds it; indexOf is the safety net.
    if (!add && list[i] !== route && (i = list.indexOf(route)) === -1) return list
    const out = this.pinned !== 0 ? list.slice() : list
    if (add) out.splice(i, 0, route)
    else out.splice(i, 1)
    return out
  }

  add(pattern: string, route: R): void {
    if (!hasWildcard(pattern)) {
      assertPattern(pattern)
      // Exact topics live only here; compute() adds them to what the trie finds.
      const list = this.exact.get(pattern)
      if (list === undefined) this.exact.set(pattern, [route])
      else {
        const next = this.change(list, route, true)
        if (next !== list) this.exact.set(pattern, next)
      }
      if (this.globCount !== 0) this.cache.delete(pattern)
      return
    }
    const segs = simpleSegments(pattern)
    if (segs) {
      // Literal, '*' and '**' segments: the trie alone routes it, no compiled pattern needed.
      assertPattern(pattern)
      this.globCount++
      this.clearCache()
      this.segments.update(segs, (routes) => this.change(routes, route, true))
      return
    }
    const compiled = compilePattern(pattern)
    this.globCount++
    this.clearCache()
    let node = this.root
    for (const seg of compiled.prefix) {
      let next = node.children.get(seg)
      if (!next) node.children.set(seg, (next = newNode()))
      node = next
    }
    // Only compute() reads `globs`, never during a delivery: changed in place.
    node.globs.push({ pattern: compiled, route })
    this.regexCount++
  }

  remove(pattern: string, route: R): void {
    if (!hasWildcard(pattern)) {
      const list = this.exact.get(pattern)
      if (!list) return
      const next = this.change(list, route, false)
      if (next.length === 0) this.exact.delete(pattern)
      else if (next !== list) this.exact.set(pattern, next)
      this.cache.delete(pattern)
      return
    }
    const segs = simpleSegments(pattern)
    if (segs) {
      let removed = false
      this.segments.update(segs, (routes) => {
        const before = routes.length
        const next = this.change(routes, route, false)
        removed = next.length !== before
        return next
      })
      if (removed) {
        this.globCount--
        this.clearCache()
      }
      return
    }
    const compiled = compilePattern(pattern)
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
    this.regexCount -= before - node.globs.length
    // Prune empty branches so unsubscribed unique patterns do not leave memory behind.
    for (let i = compiled.prefix.length; i > 0; i--) {
      const n = path[i]!
      if (n.globs.length || n.children.size) break
      path[i - 1]!.children.delete(compiled.prefix[i - 1]!)
    }
    this.clearCache()
  }

  /** Routes for a published topic: buffered first, then highest priority first. Validates
   *  unseen topics. */
  match(topic: string): R[] {
    if (this.globCount === 0) {
      const hit = this.exact.get(topic)
      if (hit !== undefined) return hit
      assertTopic(topic)
      return this.empty
    }
    const cached = this.cache.get(topic)
    if (cached !== undefined) return cached
    const routes = this.compute(topic)
    // A topic that matched nothing and met no regex (unique ids, request topics, ...) is cached
    // only while there is room: walking it again is cheaper than evicting a topic that cost more.
    if (this.worthCaching || this.cache.size < this.cacheSize) this.remember(topic, routes)
    return routes
  }

  private compute(topic: string): R[] {
    if (!this.scan.scan(topic)) assertTopic(topic) // throws, naming the broken rule
    const system = isSystemTopic(topic)
    const segments = this.segments
    let found = segments.collect(topic, this.scan, system)
    // A list collect() merged is ours; a single node's list is borrowed and already sorted.
    let owned = found !== undefined && segments.merged
    const exact = this.exact.get(topic)
    if (exact !== undefined) {
      if (found === undefined) found = exact
      else {
        if (!owned) found = found.slice()
        owned = true
        for (const r of exact) if (!found.includes(r)) found.push(r)
      }
    }
    this.worthCaching = found !== undefined
    if (this.regexCount !== 0) {
      const extra = this.collectRegex(topic, system)
      if (extra !== undefined) {
        if (!owned) found = found === undefined ? [] : found.slice()
        owned = true
        for (const r of extra) if (!found!.includes(r)) found!.push(r)
      }
    }
    if (found === undefined) return this.empty
    return owned ? found.sort(routeOrder) : found
  }

  /** The regex path: tests only the patterns filed under a literal prefix of the topic. */
  private collectRegex(topic: string, system: boolean): R[] | undefined {
    // The picomatch form of the topic, built only if some glob has to be tested.
    let path: string | undefined
    let found: R[] | undefined
    let node: TrieNode<R> | undefined = this.root
    let start = 0
    while (node !== undefined) {
      const globs = node.globs
      if (globs.length !== 0) this.worthCaching = true
      for (let i = 0; i < globs.length; i++) {
        const g = globs[i]!
        path ??= toPath(topic)
        if (g.pattern.testPath(path, system)) (found ??= []).push(g.route)
      }
      if (start > topic.length) break
      let end = topic.indexOf('.', start)
      if (end === -1) end = topic.length
      node = node.children.get(start === 0 && end === topic.length ? topic : topic.slice(start, end))
      start = end + 1
    }
    return found
  }
}
