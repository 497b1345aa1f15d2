import { NoResponderError, RemoteError } from '@tidings/core'
import { describe, expect, it } from 'vitest'
import { device, uniquePrefix, useNatsServer } from './test-helpers.js'

const ctx = useNatsServer()

describe('connectNats: request/reply across devices', () => {
  it('bus.request() reaches a responder on another connection; failures and missing responders are typed', async () => {
    const subject = uniquePrefix()
    const asker = device(ctx.server, { subject, requests: 'svc.**', serve: [], share: 'svc.**' })
    const server = device(ctx.server, { subject, serve: 'svc.**', share: 'svc.**' })
    server.bus.reply('svc.add', (e) => {
      const d = e.data as { a: number; b: number }
      return { sum: d.a + d.b, at: new Date(0), from: e.origin }
    })
    server.bus.reply('svc.fail', () => {
      throw new RangeError('out of range')
    })
    await Promise.all([asker.bridge.whenConnected(), server.bridge.whenConnected()])
    await server.bridge.flush()

    const answer = await asker.bus.request<{ sum: number; at: Date; from: string }>('svc.add', { a: 2, b: 3 })
    expect(answer).toEqual({ sum: 5, at: new Date(0), from: server.bus.origin })
    const failed = await asker.bus.request('svc.fail', {}).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(RemoteError)
    expect(failed).toMatchObject({ remoteName: 'RangeError', remoteMessage: 'out of range' })
    // Served but no responder there; and not served anywhere.
    await expect(asker.bus.request('svc.none', {})).rejects.toBeInstanceOf(NoResponderError)
    const device3 = device(ctx.server, { subject, requests: '**' })
    await device3.bridge.whenConnected()
    await expect(device3.bus.request('nobody.here', {})).rejects.toBeInstanceOf(NoResponderError)
    // A local responder still answers locally.
    asker.bus.reply('svc.local', () => 'here')
    expect(await asker.bus.request('svc.local', {})).toBe('here')
    expect(asker.bridge.stats().requestsSent).toBeGreaterThanOrEqual(3)
    expect(server.bridge.stats().requestsServed).toBe(3)
    // Shared or not, a request never travels as a plain event too.
    await asker.bridge.flush()
    expect(asker.bridge.stats().sent).toBe(0)
    expect(server.bridge.stats().received).toBe(0)
  })
})
