// What the tabs bridges of one bus share. BroadcastChannel delivers to every other channel object
// of a name, including a second bridge on the same bus: that bridge must not ingest what its
// sibling sent (an echo), nor ingest again what its sibling already ingested, nor send again
// what its sibling already sent. So bridges of one bus on one channel share one id memory and
// one seq tracker.
import { SeenIds } from './seen-ids.ts'
import { SeqTracker } from './seq-tracker.ts'

export interface ChannelMemory {
  readonly seen: SeenIds
  readonly seq: SeqTracker
  refs: number
}

interface BusEntry {
  readonly bridges: Set<string>
  readonly channels: Map<string, ChannelMemory>
}

const byBus = new WeakMap<object, BusEntry>()

export function registerBridge(bus: object, id: string, channel: string, dedupeWindow: number): { memory: ChannelMemory; unregister: () => void } {
  let entry = byBus.get(bus)
  if (!entry) byBus.set(bus, (entry = { bridges: new Set(), channels: new Map() }))
  const e = entry
  e.bridges.add(id)
  let memory = e.channels.get(channel)
  if (!memory) e.channels.set(channel, (memory = { seen: new SeenIds(dedupeWindow), seq: new SeqTracker(), refs: 0 }))
  memory.refs++
  const m = memory
  return {
    memory: m,
    unregister: () => {
      e.bridges.delete(id)
      if (--m.refs === 0) e.channels.delete(channel)
    },
  }
}

export function isSiblingBridge(bus: object, id: string): boolean {
  return byBus.get(bus)?.bridges.has(id) ?? false
}
