import { InvalidOptionError } from '@tidings/core'
import { expect, it } from 'vitest'
import { InvalidWorkerOptionError } from './errors.js'

it("InvalidWorkerOptionError is core's one option error, with its own name and wording", () => {
  const err = new InvalidWorkerOptionError('size', 0, 'use an integer >= 1')
  expect([err instanceof InvalidOptionError, err.name, err.option, err.value, err.input]).toEqual([true, 'InvalidWorkerOptionError', 'size', 0, 0])
  expect(err.message).toBe('Invalid option size: number 0; use an integer >= 1.')
})
