import { InvalidOptionError } from '@tidings/core'
import { expect, it } from 'vitest'
import { TabsOptionError } from './errors.js'

it("TabsOptionError is core's one option error, with its own name and wording", () => {
  const err = new TabsOptionError('heartbeatMs', -1, 'use a positive number')
  expect([err instanceof InvalidOptionError, err.name, err.option, err.value, err.input]).toEqual([true, 'TabsOptionError', 'heartbeatMs', -1, -1])
  expect(err.message).toBe('Invalid option "heartbeatMs" (-1): use a positive number')
})
