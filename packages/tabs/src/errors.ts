// Typed errors of @tidings/tabs. They extend core's TidingsError so apps can match on `name`.
import { TidingsError, InvalidOptionError } from '@tidings/core'

/** An option passed to connectTabs / electLeader / sharedState is invalid. */
export class TabsOptionError extends InvalidOptionError {
  override name = 'TabsOptionError'
  /** What was given (also `value`, as on every InvalidOptionError). */
  readonly input: unknown
  constructor(option: string, input: unknown, hint: string) {
    super(option, input, hint, `Invalid option "${option}" (${describe(input)}): ${hint}`)
    this.input = input
  }
}

/** A browser API this feature needs (BroadcastChannel, Web Locks, WebCrypto, IndexedDB) is missing. */
export class TabsUnsupportedError extends TidingsError {
  override name = 'TabsUnsupportedError'
  readonly api: string
  readonly feature: string
  constructor(
    api: string,
    feature: string,
  ) {
    super(
      `${feature} needs ${api}, which this context does not provide. ` +
        `Run it in a secure context (https or localhost) of a browser that supports ${api}.`,
    )
    this.api = api
    this.feature = feature
  }
}

/** The bridge, leader election or shared state was closed; create a new one. */
export class TabsClosedError extends TidingsError {
  override name = 'TabsClosedError'
  readonly what: string
  constructor(what: string) {
    super(`${what} is closed: create a new one to go on.`)
    this.what = what
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v)
  if (typeof v === 'function') return 'a function'
  if (v === null) return 'null'
  if (Array.isArray(v)) return `an array of ${v.length}`
  return typeof v === 'object' ? 'an object' : String(v)
}
