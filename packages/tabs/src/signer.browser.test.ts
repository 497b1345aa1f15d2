import { describe, expect, it } from 'vitest'
import { createSigner } from './signer.ts'

const base = { t: 'tidings.tabs', v: 1, from: 'tab-1' } as const

describe('signer', () => {
  it('round-trips a batch, keeping undefined data, and detects tampering and other keys', async () => {
    const a = await createSigner('a shared secret of enough length')
    const b = await createSigner('another secret of enough length')
    const batch = {
      ...base,
      kind: 'batch' as const,
      events: [{ id: 'x', data: undefined }, { id: 'y', data: { n: 1 } }],
      prev: [-1, -1],
    }
    const signed = await a.sign(batch)
    const opened = await a.open(signed)
    expect(opened.ok).toBe(true)
    if (opened.ok && opened.msg.kind === 'batch') {
      expect(opened.msg.events).toEqual([{ id: 'x', data: undefined }, { id: 'y', data: { n: 1 } }])
      expect('data' in (opened.msg.events[0] as object)).toBe(true)
    }
    const tampered = { ...signed, body: signed.body.replace('"n":1', '"n":2') }
    expect(await a.open(tampered)).toMatchObject({ ok: false, forged: true })
    expect(await b.open(signed)).toMatchObject({ ok: false, forged: true })
  })

  it('refuses short secrets with a typed error', async () => {
    await expect(createSigner('short')).rejects.toMatchObject({ name: 'TabsOptionError' })
  })
})
