import { InvalidOptionError } from '@tidings/core'
import { expect, it } from 'vitest'
import { connectDevtools } from './connect.js'
import { DevtoolsOptionsError } from './errors.js'

it("DevtoolsOptionsError is core's one option error, thrown by core's numeric check", () => {
  const bus = { name: 'b', origin: 'o', closed: false } as unknown as Parameters<typeof connectDevtools>[0]
  let err: unknown
  try {
    connectDevtools(bus, { maxEventsPerSecond: 0 })
  } catch (e) {
    err = e
  }
  expect([err instanceof DevtoolsOptionsError, err instanceof InvalidOptionError, (err as DevtoolsOptionsError).option]).toEqual([true, true, 'maxEventsPerSecond'])
})
