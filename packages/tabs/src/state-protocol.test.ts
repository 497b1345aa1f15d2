import { describe, expect, it } from 'vitest'
import { createSigner } from './signer.js'
import { parseState, parseStateWire, stateProtocol } from './state-protocol.js'

const base = { tag: 'tidings.state', v: 1, from: 'tab-1' }
const stamp = { t: 1000, c: 0, o: 'tab-1' }

describe('parseStateWire', () => {
  it('accepts ask, none, value and signed in the { tag, v, kind } convention', () => {
    expect(parseStateWire({ ...base, kind: 'ask' })).toEqual({ ok: true, msg: { ...base, kind: 'ask' } })
    expect(parseStateWire({ ...base, kind: 'none' })).toEqual({ ok: true, msg: { ...base, kind: 'none' } })
    expect(parseStateWire({ ...base, kind: 'value', stamp, value: undefined })).toEqual({ ok: true, msg: { ...base, kind: 'value', stamp, value: undefined } })
    const sig = new Uint8Array(32)
    expect(parseStateWire({ tag: 'tidings.state', v: 1, kind: 'signed', body: 'x', sig })).toEqual({ ok: true, msg: { tag: 'tidings.state', v: 1, kind: 'signed', body: 'x', sig } })
  })

  it.each([
    ['the old { t } tag', { t: 'tidings.state', v: 1, kind: 'ask', from: 'x' }, 'not a tidings.state message'],
    ['another version', { ...base, v: 2, kind: 'ask' }, 'unsupported tidings.state protocol version 2'],
    ['no from', { ...base, from: '', kind: 'ask' }, 'from must be'],
    ['a value without a stamp', { ...base, kind: 'value', value: 1 }, 'valid stamp'],
    ['a stamp with a counter past 2^53', { ...base, kind: 'value', stamp: { t: 1, c: 2 ** 53, o: 'x' }, value: 1 }, 'valid stamp'],
    ['a value message without a value', { ...base, kind: 'value', stamp }, 'without a value'],
    ['an unknown kind', { ...base, kind: 'put' }, 'unknown message kind'],
    ['a short signature', { tag: 'tidings.state', v: 1, kind: 'signed', body: 'x', sig: new Uint8Array(8) }, '32-byte signature'],
    ['a signed message without a body', { tag: 'tidings.state', v: 1, kind: 'signed', sig: new Uint8Array(32) }, 'string body'],
  ])('refuses %s', (_, msg, reason) => {
    const r = parseStateWire(msg)
    expect(r.ok).toBe(false)
    expect(r.ok ? '' : r.reason).toContain(reason)
  })

  it('never throws, even on throwing getters', () => {
    const hostile = { ...base, kind: 'value', stamp }
    Object.defineProperty(hostile, 'value', { enumerable: true, get: () => { throw new Error('boom') } })
    expect(parseState(hostile)).toEqual({ ok: false, reason: 'message could not be read' })
    const tagBomb = Object.defineProperty({}, 'tag', { get: () => { throw new Error('boom') } })
    expect(parseStateWire(tagBomb).ok).toBe(false)
  })
})

describe('signed state messages', () => {
  it('go through the shared signer: values keep their types, a tampered body is forged', async () => {
    const protocol = stateProtocol('k')
    const signer = await createSigner('a shared secret of enough length', protocol, 'test')
    const value = { byId: new Map([['u1', 1]]), at: new Date(0), big: 10n }
    const signed = await signer.sign({ tag: 'tidings.state', v: 1, kind: 'value', from: 'tab-1', stamp, value })
    expect(signed).toMatchObject({ tag: 'tidings.state', v: 1, kind: 'signed' })
    const outer = parseStateWire(signed)
    expect(outer.ok && outer.msg.kind).toBe('signed')
    const opened = await signer.open(signed)
    expect(opened).toEqual({ ok: true, msg: { tag: 'tidings.state', v: 1, kind: 'value', from: 'tab-1', stamp, value } })
    expect(await signer.open({ ...signed, body: signed.body.replace('tab-1', 'tab-2') })).toMatchObject({ ok: false, forged: true })
    // Encoded synchronously, so set() throws where the value is given.
    expect(() => signer.sign({ tag: 'tidings.state', v: 1, kind: 'value', from: 'tab-1', stamp, value: { cb: () => 1 } })).toThrow(
      expect.objectContaining({ name: 'UnencodableValueError', path: 'sharedState("k").value.cb' }),
    )
  })
})
