// maxEvents: evicting the oldest events inside a readwrite transaction, in time proportional to
// what is evicted, not to what is stored.
//
// The `bucket` index's keys [bucket, t0, t1, n] give each segment's window, first and last
// timestamp and size without reading it. In a window whose segments are all keyed by the window's
// first second (every segment this version writes), the index lists them by t0, and every event of
// a window is older than every event of the next one: so the walk stops as soon as the keys read
// so far hold the cut (the `excess`-th oldest event), and only the segments that can hold events
// before it are read (each read segment loses its evicted events; the last one is cut). Whole
// windows that fit in what is left are deleted by key, unread. A window that still holds 1 s
// segments of the older layout (keys between its first second and the next window's; one count
// request tells) is not in t0 order in the index: it is collected whole and sorted by t0 first.
// A WIDE span holding wide segments (segment.ts) is one group the same way: its wide keys come
// first, by t0; narrow segments inside it (one count tells) make it collected whole and sorted.
//
// The walk starts at the stored floor [bucket, t0] (meta.ts): nothing live is below it, so the
// seek skips what earlier evictions deleted or rewrote (LevelDB keeps those index entries until it
// compacts, and a cursor would step over each of them).
import { rewrite } from './maintain.js'
import type { Floor } from './meta.js'
import type { StoredRecord } from './record.js'
import { request } from './requests.js'
import { mergeEvents } from './merge.js'
import { isWide, startOf, WIDE, WINDOW, type Segment } from './segment.js'

type Key = { pk: IDBValidKey; b: number; t0: number; n: number }

/** Deletes the `excess` oldest events (by timestamp, seq, id), exactly, walking the `bucket` index
 *  from `from` (nothing live is below it). Resolves with how many it deleted and the new floor. */
export async function evictOldest(store: IDBObjectStore, excess: number, from: Floor): Promise<{ evicted: number; floor: Floor }> {
  let left = excess
  const index = store.index('bucket')
  const req = index.openKeyCursor(IDBKeyRange.lowerBound(from))
  let next: Key | undefined
  let cursor: IDBCursor | null = null
  // Steps the cursor onto the next key (the first, on the first call).
  const advance = async () => {
    cursor?.continue()
    cursor = await request(req)
    const [b, t0, , n] = (cursor?.key ?? []) as number[]
    next = cursor ? { pk: cursor.primaryKey, b: b!, t0: t0!, n: n! } : undefined
  }
  await advance()
  let floor = from
  // One group per round: whole groups go and the walk goes on; the group the cut falls in ends it.
  for (;;) {
    if (!next || left === 0) break
    // This round's group: a window, or a WIDE span whose wide keys come first (listed by t0), then
    // its narrow keys by (bucket, t0), which is t0 order when each is a window's first second.
    // Merged by t0, the two lists are one walk in t0 order: the wide keys (a few: one per sparse
    // type) are collected, the narrow ones stepped onto as needed, so a span that also holds dense
    // types is not walked whole to evict a few events.
    const wide = isWide(next.b)
    const w = startOf(next.b)
    const end = w + (wide ? WIDE : WINDOW)
    const wides: Key[] = []
    for (let k: Key | undefined = wide ? next : undefined, b = next.b; k?.b === b; k = next) {
      wides.push(k)
      await advance()
    }
    // Below the next group's keys (its wide key is end - 0.5, its narrow ones from end).
    const inWindow = () => next !== undefined && next.b < end - 0.5
    /** The group's next key in t0 order (undefined at its end). */
    const peek = () => (inWindow() && !(wides[0] && wides[0].t0 <= next!.t0) ? next : wides[0])
    const take = async () => {
      const k = peek()!
      if (k === wides[0]) wides.shift()
      else await advance()
      return k
    }
    let ordered: boolean | undefined
    // 1 s segments of the older layout (keys that are not a window's first second) make the index
    // order differ from t0's: one count per window of the group tells.
    const isOrdered = async () => {
      const counts = []
      for (let v = w; v < end; v += WINDOW) counts.push(request(index.count(IDBKeyRange.bound([v + 1], [v + WINDOW - 1, Infinity]))))
      return (await Promise.all(counts)).every((c) => c === 0)
    }
    const keys: Key[] = []
    let total = 0
    while (peek()) {
      // The keys read hold at least what is left: in t0 order, the cut is among them (or the
      // next few), unless 1 s segments make this group's index order differ from t0's.
      if (total >= left && (ordered ??= await isOrdered())) break
      const k = await take()
      keys.push(k)
      total += k.n
    }
    if (total <= left && !peek()) {
      // The group fits in what is left: it goes whole, unread.
      for (const k of keys) store.delete(k.pk)
      left -= total
      // Nothing is left in this group: every later key is above [end - 1, Infinity].
      floor = [end - 1, Infinity]
      continue
    }
    if (!ordered) keys.sort((a, c) => a.t0 - c.t0)
    // No unread key of this group starts before the bound of key i: the next key's t0; past the
    // last collected key, the group's next key in t0 order (ordered), else none (a later group's
    // events are all later).
    const bound = (i: number) => keys[i]?.t0 ?? (ordered ? (peek()?.t0 ?? Infinity) : Infinity)
    const segs: Segment[] = []
    let events: StoredRecord[] = []
    let i = 0
    // The cut: read segments in t0 order until the oldest `left` events among them are known.
    for (; i <= keys.length; i++) {
      if (i === keys.length) {
        // Ordered: the cut is past the keys collected; take the group's next key.
        if (!peek()) break
        keys.push(await take())
      }
      segs.push((await request<Segment | undefined>(store.get(keys[i]!.pk)))!)
      events = [...mergeEvents(segs, false)]
      // Every unread segment starts after the left-th oldest read event: the cut is known.
      if (events.length >= left && events[left - 1]!.timestamp < bound(i + 1)) {
        i++
        break
      }
    }
    const drop = new Set(events.slice(0, left).map((e) => e.id))
    // What stays of this window starts at the first kept read event or the first unread key.
    const t = Math.min(events[left]?.timestamp ?? Infinity, bound(i))
    for (const s of segs) left -= rewrite(store, s, (e) => drop.has(e.id))
    floor = [wide ? w - 0.5 : w, ordered ? t : -Infinity]
    break
  }
  return { evicted: excess - left, floor }
}
