// Runs async steps (HMAC sign / verify) concurrently but hands their results on in the order they
// were started, so async signing never reorders messages.
export class Ordered {
  #tail: Promise<void> = Promise.resolve()

  /** `work` starts now; `then` runs after every earlier `then` has run. */
  push<T>(work: Promise<T>, then: (value: T) => void, onError: (err: unknown) => void): void {
    // Mark the rejection handled at once; it is consumed in order below.
    work.catch(() => {})
    this.#tail = this.#tail.then(
      () => work.then(then, onError),
    ).catch(onError)
  }

  /** Resolves once everything pushed so far has been handed on. */
  drained(): Promise<void> {
    return this.#tail
  }
}
