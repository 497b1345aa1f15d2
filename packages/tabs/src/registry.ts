// One tabs bridge per bus and channel. BroadcastChannel delivers to every other channel object
// of a name, so a second bridge of the same bus on the same channel would hear the first one's
// messages as a peer's, ingest what its sibling already ingested and send what it already sent.
// Refusing it keeps the bridge simple and fast (no id set shared between siblings).
import { TabsOptionError } from './errors.js'

const channelsByBus = new WeakMap<object, Set<string>>()

export function registerBridge(bus: object, channel: string): () => void {
  let set = channelsByBus.get(bus)
  if (!set) channelsByBus.set(bus, (set = new Set()))
  if (set.has(channel))
    throw new TabsOptionError('channel', channel, 'this bus already has a tabs bridge on this channel: close it first, or use another channel name')
  set.add(channel)
  const s = set
  return () => s.delete(channel)
}
