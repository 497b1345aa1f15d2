import { createBus } from '@tidings/core'
import { expect, test } from 'vitest'
import { openHistory } from './index.ts'
import { readRaw, uniqueDb } from './test-helpers.ts'

test('smoke', async () => {
  const dbName = uniqueDb('smoke')
  const h = openHistory({ dbName })
  const bus = createBus()
  h.attach(bus)
  await bus.publishAsync('a.b', { x: 1 }, { persistent: true })
  const raw = await readRaw(dbName)
  expect(raw.map((r) => r.type)).toEqual(['a.b'])
  expect(await h.query({ type: 'a.b' })).toHaveLength(1)
  await h.close()
})
