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

it.each(['trace', 'timing'] as const)('%s must be a boolean: a string is refused, naming the option', (option) => {
  const bus = { name: 'b', origin: 'o', closed: false } as unknown as Parameters<typeof connectDevtools>[0]
  let err: unknown
  try {
    connectDevtools(bus, { [option]: 'yes' } as unknown as Parameters<typeof connectDevtools>[1])
  } catch (e) {
    err = e
  }
  expect([err instanceof DevtoolsOptionsError, (err as DevtoolsOptionsError).option, (err as DevtoolsOptionsError).value]).toEqual([true, option, 'yes'])
})
