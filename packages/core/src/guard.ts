// Guarded topics (docs/core.md "Schemas, registry and guards"): topics matched by a guard need a
// key to publish or to be received.
import { SecurityError } from './errors.js'
import { compilePatterns } from './pattern.js'

interface GuardRule {
  matches: (topic: string) => boolean
  publishKey: string | undefined
  subscribeKey: string | undefined
}

export class Guards {
  readonly #rules: GuardRule[] = []

  get size(): number {
    return this.#rules.length
  }

  add(pattern: string, keys: { publishKey?: string | undefined; subscribeKey?: string | undefined }): void {
    if (keys.publishKey === undefined && keys.subscribeKey === undefined)
      throw new TypeError(`guard("${pattern}"): give a publishKey, a subscribeKey or both`)
    this.#rules.push({ matches: compilePatterns(pattern), publishKey: keys.publishKey, subscribeKey: keys.subscribeKey })
  }

  checkPublish(topic: string, key: string | undefined): void {
    for (const r of this.#rules) if (r.publishKey !== undefined && r.publishKey !== key && r.matches(topic)) throw new SecurityError(topic, 'publish')
  }

  /** Whether a subscriber holding `key` may receive `topic`. */
  mayReceive(topic: string, key: string | undefined): boolean {
    for (const r of this.#rules) if (r.subscribeKey !== undefined && r.subscribeKey !== key && r.matches(topic)) return false
    return true
  }

  /** Subscribing to a literal guarded topic without the key fails at once; wildcard
   *  subscriptions are filtered at delivery instead (their overlap is not decidable cheaply). */
  checkSubscribe(pattern: string, literal: boolean, key: string | undefined): void {
    if (literal && !this.mayReceive(pattern, key)) throw new SecurityError(pattern, 'subscribe')
  }
}
