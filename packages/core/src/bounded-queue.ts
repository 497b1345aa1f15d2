// A growable circular array. Queued events are stored as themselves in one backing array: no
// per-event node or wrapper object, so a queued event costs one array slot (8 bytes, 4 with
// pointer compression; at most twice that right after a doubling) beyond the envelope.

const MIN_CAPACITY = 16

export class RingQueue<T> {
  // #fields, set in the constructor: their names minify.
  #items!: Array<T | undefined>
  #head = 0
  #count = 0
  #mask!: number

  constructor(initialCapacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY
    while (cap < initialCapacity) cap *= 2
    this.#items = new Array<T | undefined>(cap)
    this.#mask = cap - 1
  }

  get size(): number {
    return this.#count
  }

  /** Slots allocated (for memory tests). */
  get capacity(): number {
    return this.#mask + 1
  }

  push(item: T): void {
    if (this.#count > this.#mask) this.#resize((this.#mask + 1) * 2)
    this.#items[(this.#head + this.#count) & this.#mask] = item
    this.#count++
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#count === 0) return undefined
    const i = this.#head
    const item = this.#items[i]
    // Clear the slot so the queue never keeps a handled event alive.
    this.#items[i] = undefined
    this.#head = (i + 1) & this.#mask
    this.#count--
    // Give memory back after a burst, without thrashing near the boundary.
    const cap = this.#mask + 1
    if (cap > 1024 && this.#count < cap >>> 2) this.#resize(cap >>> 1)
    return item
  }

  /** Removes and returns the newest item, or undefined when empty. */
  pop(): T | undefined {
    if (this.#count === 0) return undefined
    const i = (this.#head + --this.#count) & this.#mask
    const item = this.#items[i]
    this.#items[i] = undefined
    return item
  }

  peek(): T | undefined {
    return this.#count === 0 ? undefined : this.#items[this.#head]
  }

  /** Removes and returns everything, oldest first. */
  takeAll(): T[] {
    const out = new Array<T>(this.#count)
    for (let i = 0; i < this.#count; i++) out[i] = this.#items[(this.#head + i) & this.#mask] as T
    this.clear()
    return out
  }

  clear(): void {
    this.#items = new Array<T | undefined>(MIN_CAPACITY)
    this.#mask = MIN_CAPACITY - 1
    this.#head = 0
    this.#count = 0
  }

  #resize(cap: number): void {
    const next = new Array<T | undefined>(cap)
    for (let i = 0; i < this.#count; i++) next[i] = this.#items[(this.#head + i) & this.#mask]
    this.#items = next
    this.#head = 0
    this.#mask = cap - 1
  }
}
