// The longest gap between a page's tasks while some work runs: a MessageChannel ping-pong (each
// message is a task, so a long gap is another task holding the thread). Shared by the scale bench
// (its "longest task" rows) and the CPU probe (which marks each long gap in the trace).

/** Runs `fn` under the ping-pong; `onGap` sees every gap (ms) as it ends. */
export async function longestTask<T>(fn: () => Promise<T>, onGap?: (ms: number) => void): Promise<{ value: T; longest: number; total: number }> {
  const ch = new MessageChannel()
  let last = performance.now()
  let longest = 0
  let on = true
  ch.port1.addEventListener('message', () => {
    const t = performance.now()
    onGap?.(t - last)
    longest = Math.max(longest, t - last)
    last = t
    if (on) ch.port2.postMessage(0)
  })
  ch.port1.start()
  ch.port2.postMessage(0)
  const t0 = performance.now()
  const value = await fn()
  const total = performance.now() - t0
  on = false
  ch.port1.close()
  return { value, longest: Math.max(longest, performance.now() - last), total }
}
