/** Yields to the event loop without setTimeout's 4 ms clamp (for browser benchmarks that pace
 *  bursts: a MessageChannel message is a task, not a timer). */
export function yieldTask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel()
    ch.port1.addEventListener('message', () => {
      ch.port1.close()
      resolve()
    })
    ch.port1.start()
    ch.port2.postMessage(0)
  })
}
