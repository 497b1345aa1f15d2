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
//
// The walk starts at the stored floor [bucket, t0] (meta.ts): nothing live is below it, so the
// seek skips what earlier evictions deleted or rewrote (LevelDB keeps those index entries until it
// compacts, and a cursor would step over each of them).
import { rewrite } from './maintain.js'
import type { Floor } from './meta.js'
import type { StoredRecord } from './record.js'
import { request } from './requests.js'
import { mergeEvents } from './merge.js'
import { WINDOW, windowOf, type Segment } from './segment.js'

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
  // One window per round: whole windows go and the walk goes on; the window the cut falls in ends it.
  for (;;) {
    if (!next || left === 0) break
    const w = windowOf(next.b)
    const inWindow = () => next !== undefined && windowOf(next.b) === w
    let ordered: boolean | undefined
    const keys: Key[] = []
    let total = 0
    for (; inWindow(); await advance()) {
      // The keys read hold at least what is left: in t0 order, the cut is among them (or the
      // next few), unless 1 s segments make this window's index order differ from t0's.
      if (total >= left && (ordered ??= (await request(index.count(IDBKeyRange.bound([w + 1], [w + WINDOW - 1, Infinity])))) === 0)) break
      keys.push(next!)
      total += next!.n
    }
    if (total <= left && !inWindow()) {
      // The window fits in what is left: it goes whole, unread.
      for (const k of keys) store.delete(k.pk)
      left -= total
      // Nothing is left in this window: every later key is above [w, Infinity].
      floor = [w, Infinity]
      continue
    }
    if (!ordered) keys.sort((a, c) => a.t0 - c.t0)
    // No unread key of this window starts before the bound of key i: the next key's t0; past the
    // last collected key, the cursor's next key if it is in this window (ordered), else none (a
    // later window's events are all later).
    const bound = (i: number) => keys[i]?.t0 ?? (ordered && inWindow() ? next!.t0 : Infinity)
    const segs: Segment[] = []
    let events: StoredRecord[] = []
    let i = 0
    // The cut: read segments in t0 order until the oldest `left` events among them are known.
    for (; i <= keys.length; i++) {
      if (i === keys.length) {
        // Ordered: the cut is past the keys collected; take the next key of this window.
        if (!inWindow()) break
        keys.push(next!)
        await advance()
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
    floor = [w, ordered ? t : -Infinity]
    break
  }
  return { evicted: excess - left, floor }
}
