// BroadcastChannel.postMessage takes no targetOrigin (a channel never leaves its origin); the
// lint rule for window.postMessage cannot tell the two apart, hence this one wrapper.
export function broadcast(bc: BroadcastChannel, msg: unknown): void {
  // oxlint-disable-next-line unicorn/require-post-message-target-origin
  bc.postMessage(msg)
}
