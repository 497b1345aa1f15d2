import { TidingsError } from '@tidings/core'

/** connectDevtools() was given an option it cannot use. */
export class DevtoolsOptionsError extends TidingsError {
  override name = 'DevtoolsOptionsError'
  readonly option: string
  readonly input: unknown
  constructor(
    option: string,
    input: unknown,
    rule: string,
  ) {
    super(`connectDevtools: option "${option}" ${rule} (got ${safeString(input)}).`)
    this.option = option
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
