import { InvalidOptionError } from '@tidings/core'

/** connectDevtools() was given an option it cannot use. */
export class DevtoolsOptionsError extends InvalidOptionError {
  override name = 'DevtoolsOptionsError'
  /** What was given (also `value`, as on every InvalidOptionError). */
  readonly input: unknown
  constructor(option: string, input: unknown, rule: string) {
    super(option, input, rule, `connectDevtools: option "${option}" ${rule} (got ${safeString(input)}).`)
    this.input = input
  }
}

function safeString(v: unknown): string {
  try {
    return typeof v === 'function' ? 'a function' : (JSON.stringify(v) ?? String(v))
  } catch {
    return String(v)
  }
}
