// Property test: random structured-cloneable values through every text path of @tidings/tabs
// (a signed event batch, a signed shared-state value) come back as structured clone would copy
// them. The oracle is structuredClone itself.
import { encodeBatch } from '@tidings/core/bridge'
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { WIRE_TAG, WIRE_VERSION, type BatchMessage } from './protocol.js'
import { createSigner, TABS_SIGNED } from './signer.js'
import { stateProtocol } from './state-protocol.js'

const KEY = 'a shared secret of enough length'
// fast-check's own generator of JS values, with every structured-cloneable extra it knows.
const cloneable = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: false,
  withObjectString: true,
  maxDepth: 4,
})

describe('text paths keep structured-cloneable data', () => {
  it('a signed tabs batch', async () => {
    const signer = await createSigner(KEY, TABS_SIGNED, 'test')
    await fc.assert(
      fc.asyncProperty(fc.array(cloneable, { minLength: 1, maxLength: 4 }), async (values) => {
        const batch = encodeBatch(values.map((data, i) => ({ event: { id: `o:${i}`, type: 'a.b', timestamp: 1, version: 1, data, origin: 'o', seq: i }, incarnation: 'i', prev: i - 1 })))
        const msg: BatchMessage = { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'batch', from: 'tab-1', batch }
        const opened = await signer.open(await signer.sign(msg))
        if (!opened.ok || opened.msg.kind !== 'batch') throw new Error(`not opened: ${JSON.stringify(opened)}`)
        expect(opened.msg.batch.d).toStrictEqual(structuredClone(values))
      }),
      { numRuns: 300 },
    )
  })

  it('a signed shared-state value', async () => {
    const signer = await createSigner(KEY, stateProtocol('k'), 'test')
    const stamp = { t: 1, c: 0, o: 'tab-1' }
    await fc.assert(
      fc.asyncProperty(cloneable, async (value) => {
        const opened = await signer.open(await signer.sign({ tag: 'tidings.state', v: 1, kind: 'value', from: 'tab-1', stamp, value }))
        if (!opened.ok || opened.msg.kind !== 'value') throw new Error(`not opened: ${JSON.stringify(opened)}`)
        expect(opened.msg.value).toStrictEqual(structuredClone(value))
      }),
      { numRuns: 300 },
    )
  })
})
