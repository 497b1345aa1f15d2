import { encodeBatch } from '@tidings/core/bridge'
import { describe, expect, it } from 'vitest'
import { WIRE_TAG, WIRE_VERSION, type BatchMessage } from './protocol.js'
import { createSigner, TABS_SIGNED } from './signer.js'
import { envelope } from './test-helpers.js'

describe('signer', () => {
  it('round-trips a batch (undefined, Map, Date, BigInt and cycles kept), and detects tampering and other keys', async () => {
    const rich: Record<string, unknown> = { byId: new Map([['u1', 1]]), at: new Date(0), big: 10n ** 20n, nan: NaN, holes: Object.assign(new Array<number>(3), { 0: 1, 2: 3 }) }
    rich['self'] = rich
    const a = await createSigner('a shared secret of enough length', TABS_SIGNED, 'test')
    const b = await createSigner('another secret of enough length', TABS_SIGNED, 'test')
    const batch = encodeBatch([
      { event: { ...envelope('o', 0, 'chat.a'), data: undefined }, incarnation: 'i', prev: -1 },
      { event: envelope('o', 1, 'chat.b', { n: 1 }), incarnation: 'i', prev: 0 },
      { event: envelope('o', 2, 'chat.c', rich), incarnation: 'i', prev: 1 },
    ])
    const msg: BatchMessage = { tag: WIRE_TAG, v: WIRE_VERSION, kind: 'batch', from: 'tab-1', batch }
    const signed = await a.sign(msg)
    const opened = await a.open(signed)
    expect(opened.ok).toBe(true)
    if (opened.ok && opened.msg.kind === 'batch') {
      const d = opened.msg.batch.d
      expect(d.slice(0, 2)).toEqual([undefined, { n: 1 }])
      expect(d[0]).toBeUndefined()
      expect(opened.msg.batch.tt).toEqual(['chat.a', 'chat.b', 'chat.c'])
      const back = d[2] as typeof rich
      expect(back['byId']).toEqual(new Map([['u1', 1]]))
      expect(back['at']).toEqual(new Date(0))
      expect(back['big']).toBe(10n ** 20n)
      expect(back['nan']).toBeNaN()
      expect(1 in (back['holes'] as unknown[])).toBe(false)
      expect(back['self']).toBe(back)
    }
    const tampered = { ...signed, body: signed.body.replace('"chat.b"', '"chat.x"') }
    expect(tampered.body).not.toBe(signed.body)
    expect(await a.open(tampered)).toMatchObject({ ok: false, forged: true })
    expect(await b.open(signed)).toMatchObject({ ok: false, forged: true })
  })

  it('refuses short secrets with a typed error', async () => {
    await expect(createSigner('short', TABS_SIGNED, 'test')).rejects.toMatchObject({ name: 'TabsOptionError' })
  })
})
