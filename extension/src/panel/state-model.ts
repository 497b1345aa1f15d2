// The state view's model: which sharedState keys the page has and how each changed. Keys come
// from the agent's snapshot (every live sharedState, via @tidings/tabs' registry on the bus) and
// from the log: @tidings/tabs publishes `$tidings.state` { key, value, stamp, from } on every
// change, so the history of a key is its events, with who set it, the stamp and the call site.
// Diffs between consecutive values are microdiff's (see docs/devtools.md for why microdiff).
import diff, { type Difference } from 'microdiff'
import { decode } from '@tidings/core/bridge'
import type { WireState } from '@tidings/devtools/protocol'
import type { LoggedEvent, PanelStore } from './store.ts'

/** The `$tidings.state` event @tidings/tabs publishes on every sharedState change. */
export const STATE_TOPIC = '$tidings.state'

export interface StateChange {
  e: LoggedEvent
  value: unknown
  stamp: WireState['stamp']
  /** 'local' (set in this tab), 'peer' (another tab's set won), 'storage' (read from IndexedDB). */
  from: string
  /** Against the previous change of the key in the log (none for the first). */
  diff: Difference[] | undefined
}

export interface StateEntry {
  key: string
  /** The snapshot's value, else the last change's. */
  value: unknown
  stamp: WireState['stamp']
  history: StateChange[]
}

interface StateData {
  key: string
  value: unknown
  stamp?: WireState['stamp']
  from?: string
}

function stateData(e: LoggedEvent): StateData | undefined {
  const d = e.event.data
  if (typeof d !== 'object' || d === null || typeof (d as { key?: unknown }).key !== 'string') return undefined
  return d as StateData
}

/** The value as published: the exact copy when the page sent one (Maps stay Maps), else the preview. */
function valueOf(e: LoggedEvent, d: StateData): unknown {
  if (e.item.exact === undefined) return d.value
  try {
    return (decode(e.item.exact, 'the state value') as StateData).value
  } catch {
    return d.value
  }
}

const obj = (v: unknown) => typeof v === 'object' && v !== null

/** microdiff on plain JSON-like values; anything else compares as a whole. */
function changes(a: unknown, b: unknown): Difference[] {
  if (obj(a) && obj(b)) return diff(a as Record<string, unknown>, b as Record<string, unknown>)
  return Object.is(a, b) ? [] : [{ type: 'CHANGE', path: [], value: b, oldValue: a }]
}

/** `$tidings.state` events in the log whose data the page did not send (its read budget for that
 *  batch was spent): their key is unknown, so the view can only count them. */
export function unreadStateChanges(store: PanelStore): number {
  let n = 0
  for (const e of store.events) if (e.event.type === STATE_TOPIC && stateData(e) === undefined) n++
  return n
}

export function stateEntries(store: PanelStore): StateEntry[] {
  const map = new Map<string, StateEntry>()
  for (const s of store.states) map.set(s.key, { key: s.key, value: s.value, stamp: s.stamp, history: [] })
  for (const e of store.events) {
    if (e.event.type !== STATE_TOPIC) continue
    const d = stateData(e)
    if (!d) continue
    let entry = map.get(d.key)
    if (!entry) map.set(d.key, (entry = { key: d.key, value: undefined, stamp: undefined, history: [] }))
    const value = valueOf(e, d)
    const prev = entry.history.at(-1)
    entry.history.push({ e, value, stamp: d.stamp, from: typeof d.from === 'string' ? d.from : '?', diff: prev ? changes(prev.value, value) : undefined })
  }
  for (const entry of map.values()) {
    const last = entry.history.at(-1)
    if (last && !store.states.some((s) => s.key === entry.key)) {
      entry.value = last.value
      entry.stamp = last.stamp
    }
  }
  return [...map.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

/** A diff path as text: `cart.items[2].qty`. */
export function pathText(path: (string | number)[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p
  return out || '(value)'
}
