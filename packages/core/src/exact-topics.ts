// Exact topics and their route lists, for RouteIndex (route-index.ts): a table object while a
// bus has few of them and finds them, a Map otherwise.
//
// - The table: an object whose prototype has no properties (not even Object.prototype's, so a
//   topic such as `constructor` or `__proto__` is an own property like any other). With few
//   topics it keeps fast properties, and a publish of a topic from a string constant is one
//   inline-cached load, where Map.get() is a builtin call that hashes and compares: 1 listener on
//   1 name ~21 -> ~16 ns a publish (Node 20).
// - A Map once there are more than TABLE_MAX topics. A table that big is in V8's dictionary
//   mode, and its speed then varied from process to process (1000 names: 24-34 M publishes/s,
//   against ~30 M with the Map; retried after interning, 27-35 against the Map's 27-33 M in the
//   same interleaved processes: no better on average, so the Map stays).
// - A Map too once MISSES_MAX lookups found nothing: a keyed load with a string V8 has never seen
//   (`req.${n}.done`, a new one per publish) adds it to V8's string table, ~700 ns against ~100
//   for Map.get(), and a bus that publishes such topics would pay that on every publish.

/** Exact topics kept in a table object; beyond this, in a Map. */
const TABLE_MAX = 64
/** Lookups that found nothing before the table gives way to a Map. */
const MISSES_MAX = 1024

type Table<R> = Record<string, R[] | undefined>

const interned: Record<string, 0> = Object.create(null) as Record<string, 0>
/** Has V8 internalize `topic`, as using it as a property key does (a table store does it too).
 *  The string the app passed becomes a ThinString pointing at the internalized copy, and a Map
 *  lookup with it then tells the other topics in its hash bucket apart by pointer, instead of
 *  comparing their characters, each a cache miss: 1000 topics ~35 -> ~31 ns a publish (Node 20,
 *  topics built at run time and reused, as constants are). String literals are internalized
 *  already. Once per new topic, at subscribe time. */
function intern(topic: string): void {
  interned[topic] = 0
  delete interned[topic]
}
function TableProto(): void {}
TableProto.prototype = Object.create(null) as object

export class ExactTopics<R> {
  /** The table while it is in use, else undefined. */
  table: Table<R> | undefined = new (TableProto as unknown as new () => Table<R>)()
  /** The Map once the table is not in use (match() reads both directly). */
  map: Map<string, R[]> | undefined
  /** Topics in the table. */
  private size = 0
  private misses = 0

  /** The routes of `topic`, if it has any. A topic that is not a string has none (a table
   *  lookup would coerce it to a key). */
  get(topic: string): R[] | undefined {
    const table = this.table
    if (table === undefined) return this.map!.get(topic)
    const routes = typeof topic === 'string' ? table[topic] : undefined
    if (routes === undefined) this.missed()
    return routes
  }

  set(topic: string, routes: R[]): void {
    const table = this.table
    if (table === undefined || (table[topic] === undefined && ++this.size > TABLE_MAX)) {
      const map = this.asMap()
      if (!map.has(topic)) intern(topic)
      map.set(topic, routes)
    } else table[topic] = routes
  }

  delete(topic: string): void {
    const table = this.table
    if (table === undefined) this.map!.delete(topic)
    else if (table[topic] !== undefined) {
      delete table[topic]
      this.size--
    }
  }

  /** A lookup (get(), or match() on a wildcard-free bus) found nothing. */
  missed(): void {
    if (++this.misses > MISSES_MAX && this.table !== undefined) this.asMap()
  }

  private asMap(): Map<string, R[]> {
    if (this.table !== undefined) {
      this.map = new Map(Object.entries(this.table) as [string, R[]][])
      this.table = undefined
    }
    return this.map!
  }
}
