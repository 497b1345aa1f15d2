// Is the peer still there? The receiver acks the batches it handled (one small message per
// microtask at most); a sender that has batches unacked for longer than the timeout calls the peer
// unresponsive: a terminated worker, or one stuck in a long task. Nothing is posted into the void
// meanwhile; the first ack that arrives makes the peer live again.

export class AckWindow {
  #sent = 0
  #acked = 0
  /** When the oldest unacked batch was sent. */
  #since = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #down = false
  readonly #timeoutMs: number
  readonly #onChange: (responsive: boolean) => void

  constructor(timeoutMs: number, onChange: (responsive: boolean) => void) {
    this.#timeoutMs = timeoutMs
    this.#onChange = onChange
  }

  get unacknowledged(): number {
    return this.#sent - this.#acked
  }

  get responsive(): boolean {
    return !this.#down
  }

  /** A batch was posted. */
  posted(now: number): void {
    if (this.#sent === this.#acked) this.#since = now
    this.#sent++
    this.#arm()
  }

  /** The peer has handled `batches` of ours in all. */
  ack(batches: number, now: number): void {
    if (batches <= this.#acked || batches > this.#sent) return // stale, or not a count we sent
    this.#acked = batches
    this.#since = now
    if (this.#sent === this.#acked) this.#disarm()
    if (this.#down) {
      this.#down = false
      this.#onChange(true)
    }
  }

  stop(): void {
    this.#disarm()
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#down) return
    this.#timer = setTimeout(() => this.#check(), this.#timeoutMs)
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #check(): void {
    this.#timer = undefined
    if (this.#sent === this.#acked) return
    const waited = Date.now() - this.#since
    if (waited < this.#timeoutMs) {
      this.#timer = setTimeout(() => this.#check(), this.#timeoutMs - waited)
      return
    }
    this.#down = true
    this.#onChange(false)
  }
}
