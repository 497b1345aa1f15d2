import { encodeBatch } from '@tidings/core/bridge'
import { describe, expect, it } from 'vitest'
import { WIRE_TAG, WIRE_VERSION, type BatchMessage } from './protocol.js'
import { createSigner } from './signer.js'
import { envelope } from './test-helpers.js'

describe('signer', () => {
  it('round-trips a batch, keeping undefined data, and detects tampering and other keys', async () => {
    const a = await createSigner('a shared secret of enough length')
    const b = await createSigner('another secret of enough length')
    const batch = encodeBatch([
      { event: { ...envelope('o', 0, 'chat.a'), data: undefined }, incarnation: 'i', prev: -1 },
      { event: envelope('o', 1, 'chat.b', { n: 1 }), incarnation: 'i', prev: 0 },
    ])
    const msg: BatchMessage = { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'batch', from: 'tab-1', batch }
    const signed = await a.sign(msg)
    const opened = await a.open(signed)
    expect(opened.ok).toBe(true)
    if (opened.ok && opened.msg.kind === 'batch') {
      expect(opened.msg.batch.d).toEqual([undefined, { n: 1 }])
      expect(opened.msg.batch.d[0]).toBeUndefined()
      expect(opened.msg.batch.tt).toEqual(['chat.a', 'chat.b'])
    }
    const tampered = { ...signed, body: signed.body.replace('"n":1', '"n":2') }
    expect(await a.open(tampered)).toMatchObject({ ok: false, forged: true })
    expect(await b.open(signed)).toMatchObject({ ok: false, forged: true })
  })

  it('refuses short secrets with a typed error', async () => {
    await expect(createSigner('short')).rejects.toMatchObject({ name: 'TabsOptionError' })
  })
})
