// A bounded "have I seen this id" memory: a Set plus a ring of insertion order, so memory stays
// at `capacity` ids however many events pass (ids are unique per event, so an unbounded Set
// would grow forever).
export class SeenIds {
  private readonly set = new Set<string>()
  private readonly ring: (string | undefined)[]
  private next = 0

  readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
    this.ring = new Array<string | undefined>(capacity)
  }

  has(id: string): boolean {
    return this.set.has(id)
  }

  /** Remembers `id`; returns false when it was already known. */
  add(id: string): boolean {
    if (this.set.has(id)) return false
    const evicted = this.ring[this.next]
    if (evicted !== undefined) this.set.delete(evicted)
    this.ring[this.next] = id
    this.next = (this.next + 1) % this.capacity
    this.set.add(id)
    return true
  }

  get size(): number {
    return this.set.size
  }
}
