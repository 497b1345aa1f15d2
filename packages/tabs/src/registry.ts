// Which tabs-bridge instances live on which bus: BroadcastChannel delivers to every other channel
// object of the name, including a second bridge on the same bus, which must not ingest what its
// sibling sent (that would be an echo).
const bridgesByBus = new WeakMap<object, Set<string>>()

export function registerBridge(bus: object, id: string): () => void {
  let set = bridgesByBus.get(bus)
  if (!set) bridgesByBus.set(bus, (set = new Set()))
  set.add(id)
  return () => set.delete(id)
}

export function isSiblingBridge(bus: object, id: string): boolean {
  return bridgesByBus.get(bus)?.has(id) ?? false
}
