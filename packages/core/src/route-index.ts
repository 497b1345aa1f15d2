// Finds the routes for a topic without testing every pattern on every publish:
// - exact topics live in ExactTopics (a table object while they are few, then a Map), and only
//   there (one lookup while no wildcard pattern exists; added to what the trie finds otherwise);
// - patterns made of literal, '*' and '**' segments live in a SegmentTrie walked in place along
//   the topic (no regex, no split);
// - other globs ('?', classes, braces, 'exec*') are filed in a Map by their literal prefix, so
//   a topic only meets the regexes of patterns filed under one of its prefixes;
// - the merged, sorted result per topic, empty ones included (one shared empty list), is kept in
//   a FIFO cache that grows while the topics that miss it recur (2048 topics at first, up to
//   routeCacheSize, default 65,536), dropped on any subscription change that could affect it.
//   Worst case at 65,536: the Map (~40 B a topic measured on Node 20, plus a merged route list for
//   topics that several patterns match), the 128 KB ghost table (from the first miss of a full
//   cache below the bound on), and the topic strings it keeps alive (at most 255 characters).
// Routes are sorted buffered first (queued handlers and inboxes, see RouteEntry.queue), then by
// priority, then in subscription order: sorted once here, so publish pays nothing for it.
import { checkNumber } from './delivery-options.js'
import { compilePattern, toPath, type CompiledPattern } from './pattern.js'
import { ExactTopics } from './exact-topics.js'
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

interface Glob<R> {
  pattern: CompiledPattern
  route: R
}

/** Highest priority first, then in subscription order. */
export const byPriority = (a: RouteEntry, b: RouteEntry) => b.priority - a.priority || a.order - b.order
/** Buffered routes first, then byPriority. */
const routeOrder = (a: RouteEntry, b: RouteEntry) => +!a.queue - +!b.queue || byPriority(a, b)

export class RouteIndex<R extends RouteEntry> {
  private readonly exact = new ExactTopics<R>()
  /** Patterns on the regex path by their literal prefix ('' for none): a topic only meets
   *  those filed under one of its prefixes. */
  private readonly globs = new Map<string, Glob<R>[]>()
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
  /** Whether the last collectRegex() tested a regex. */
  private metRegex = false
  private readonly empty: R[] = []
  /** Adaptive size: the cache starts at 2048 topics (or the bound if lower) and doubles, up to
   *  the bound, while the topics that miss a full cache keep coming back (see missedFull): a
   *  bigger cache would have kept them. */
  private declare capacity: number
  /** Hashes of recent topics that missed a full cache (128 KB, allocated when first needed). */
  private ghost: Int32Array | undefined
  private score = 0

  private declare readonly bound: number
  /** `bound`: the routeCacheSize option. */
  constructor(bound = 65_536) {
    this.bound = checkNumber(bound, 'routeCacheSize', (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1')
    this.capacity = Math.min(bound, 2048)
  }

  get cachedTopics(): number {
    return this.cache.size
  }

  /** A miss while the cache is full and below its bound. A topic that missed before (its hash
   *  is still in `ghost`, a direct-mapped table of 32,768 hashes, so a reach of ~20k misses)
   *  scores 3, any other -1 (floored at 0): at 1024 (or the capacity, if smaller) the cache
   *  doubles. So it grows while more than a quarter of its misses recur, and never for topics
   *  that do not (ids, request topics). */
  private missedFull(): void {
    const { hashes, count } = this.scan
    let h = count
    for (let i = 0; i < count; i++) h = Math.imul(h ^ hashes[i]!, 0x9e3779b1)
    const ghost = (this.ghost ??= new Int32Array(32_768))
    // `| 1`: 0 marks an empty slot.
    this.score = Math.max(0, this.score + (ghost[h >>> 17] === (h |= 1) ? 3 : -1))
    ghost[h >>> 17] = h
    if (this.score >= Math.min(this.capacity, 1024)) {
      this.capacity = Math.min(this.capacity * 2, this.bound)
      this.score = 0
    }
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
    // push() for the usual case (a new route goes last): splice() allocates an array of what it
    // removed, empty here, on every subscribe.
    if (add) {
      if (i === out.length) out.push(route)
      else out.splice(i, 0, route)
    } else out.splice(i, 1)
    return out
  }

  /** The last pattern add() checked, and whether it has a wildcard: registering N handlers on
   *  one topic checks it once, not N times (with the bus's own check, ~10% of subscribe()). */
  private checked: string | undefined
  private checkedWild = false

  add(pattern: string, route: R): void {
    // (compilePattern checks regex-path patterns again: they are the rare kind.)
    if (pattern !== this.checked) {
      assertPattern(pattern)
      this.checkedWild = hasWildcard(pattern)
      this.checked = pattern
    }
    if (!this.checkedWild) {
      // Exact topics live only here; miss() adds them to what the trie finds.
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
      this.globCount++
      this.cache.clear()
      this.segments.update(segs, (routes) => this.change(routes, route, true))
      return
    }
    const compiled = compilePattern(pattern)
    this.globCount++
    this.regexCount++
    this.cache.clear()
    const key = compiled.prefix.join('.')
    const list = this.globs.get(key)
    // Only miss() reads these lists, never during a delivery: changed in place.
    if (list === undefined) this.globs.set(key, [{ pattern: compiled, route }])
    else list.push({ pattern: compiled, route })
  }

  remove(pattern: string, route: R): void {
    if (!hasWildcard(pattern)) {
      const list = this.exact.get(pattern)
      if (!list) return
      const next = this.change(list, route, false)
      if (next.length === 0) this.exact.delete(pattern)
      else this.exact.set(pattern, next)
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
        this.cache.clear()
      }
      return
    }
    const key = compilePattern(pattern).prefix.join('.')
    const list = this.globs.get(key)
    if (list === undefined) return
    const kept = list.filter((g) => g.route !== route)
    this.globCount -= list.length - kept.length
    this.regexCount -= list.length - kept.length
    // An empty list goes, so unsubscribed unique patterns do not leave memory behind.
    if (kept.length === 0) this.globs.delete(key)
    else this.globs.set(key, kept)
    this.cache.clear()
  }

  /** Routes for a published topic: buffered first, then highest priority first. Validates
   *  unseen topics. */
  match(topic: string): R[] {
    if (this.globCount === 0) {
      // exact-topics.ts: the Map or the table, read here directly. A topic that is not a string
      // is not looked up in the table (that would coerce it to a key): assertTopic() throws.
      const exact = this.exact
      const map = exact.map
      const hit = map !== undefined ? map.get(topic) : typeof topic === 'string' ? exact.table![topic] : undefined
      return hit !== undefined ? hit : this.exactMiss(topic)
    }
    // The miss path is one method of over 460 bytes of bytecode, which V8 never inlines: when it
    // was small enough to inline (and missedFull with it), a past-the-cache workload left it
    // inlined into publish, and publish itself then grew too big to inline into its caller (hot
    // wildcard publishes went from ~31 to ~40 ns after a past-the-cache run in the same process).
    return this.cache.get(topic) ?? this.miss(topic)
  }

  /** A topic no exact subscription has (a wildcard-free bus): checked, and counted (see
   *  ExactTopics.missed). Out of line: match()'s size decides whether V8 inlines it, and
   *  publish() with it. */
  private exactMiss(topic: string): R[] {
    assertTopic(topic)
    this.exact.missed()
    return this.empty
  }

  /** Routes the topic the cache does not hold (validating it) and caches the result. */
  private miss(topic: string): R[] {
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
    // Only results that found routes or tested a regex are worth a slot in a full cache.
    let worth = found !== undefined
    if (this.regexCount !== 0) {
      const extra = this.collectRegex(topic, system)
      if (extra !== undefined) {
        if (!owned) found = found === undefined ? [] : found.slice()
        owned = true
        for (const r of extra) if (!found!.includes(r)) found!.push(r)
      }
      worth ||= this.metRegex
    }
    const routes = found === undefined ? this.empty : owned ? found.sort(routeOrder) : found
    // Negative results (no route) are cached too, as the shared `empty` list. But a topic that
    // matched nothing and met no regex (unique ids, request topics, ...) is cached only while
    // there is room: walking it again is cheaper than evicting a topic that cost more. If such
    // misses recur, missedFull grows the cache.
    const cache = this.cache
    if (cache.size < this.capacity) cache.set(topic, routes)
    else {
      if (this.capacity < this.bound) this.missedFull()
      // Evict the oldest (a Map iterates in insertion order).
      if (worth) {
        cache.delete(cache.keys().next().value!)
        cache.set(topic, routes)
      }
    }
    return routes
  }

  /** The regex path: tests only the patterns filed under a prefix of the topic ('', then up to
   *  each dot, then the whole topic). */
  private collectRegex(topic: string, system: boolean): R[] | undefined {
    // The picomatch form of the topic, built only if some glob has to be tested.
    let path: string | undefined
    let found: R[] | undefined
    let key = ''
    this.metRegex = false
    for (let end = 0; ; ) {
      const globs = this.globs.get(key)
      if (globs !== undefined) {
        this.metRegex = true
        path ??= toPath(topic)
        for (const g of globs) if (g.pattern.testPath(path, system)) (found ??= []).push(g.route)
      }
      if (end === topic.length) return found
      end = topic.indexOf('.', end + 1)
      if (end === -1) end = topic.length
      key = topic.slice(0, end)
    }
  }
}
