// The bus's subscriptions in subscription order: what subscriptions(), subscriberCount(pattern),
// unsubscribePattern() and shutdown walk. Not a Set: adding an object to a Set made V8 give it an
// identity hash and rehash the table as it grew, which was half of what subscribe() cost with
// 10,000 handlers on one topic (~200 -> ~105 ns a call in a Node micro-benchmark). An array that
// is only appended to, with removed entries left as holes and compacted away once they outnumber
// the live ones, keeps add and remove O(1) (amortized) and the order of subscription.

/** What the list needs of an entry: whether it is still subscribed. It is false from the moment
 *  the subscription ends, so an entry is live exactly while it is active. */
export interface Listed {
  readonly active: boolean
}

export class SubscriptionList<T extends Listed> {
  private items: T[] = []
  /** Entries in `items` that are no longer active. */
  private holes = 0
  /** Active entries. */
  size = 0

  /** Appends a new, active subscription (each is added once). */
  add(entry: T): void {
    this.items.push(entry)
    this.size++
  }

  /** Counts out a subscription that just ended (called once, after `active` turned false). Its
   *  slot is dropped at the next compaction: at most as many ended entries as live ones (plus 64)
   *  are kept, so ended subscriptions do not pile up. */
  removed(): void {
    this.size--
    if (++this.holes > 64 && this.holes > this.size) {
      this.items = this.items.filter((s) => s.active)
      this.holes = 0
    }
  }

  /** A snapshot of the active subscriptions, oldest first (safe to unsubscribe while walking it). */
  list(): T[] {
    return this.items.filter((s) => s.active)
  }
}
