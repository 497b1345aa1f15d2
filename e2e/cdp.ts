// A minimal raw CDP client over the browser's WebSocket endpoint. Playwright does not expose
// devtools:// targets, so the real DevTools panel test talks CDP directly (flattened sessions).
import { createRequire } from 'node:module'

// `ws` (installed with @vitest/browser) has no bundled types; Node 20 has no global WebSocket.
interface Ws {
  on(event: 'message', fn: (data: unknown) => void): void
  once(event: 'open' | 'error', fn: (err?: unknown) => void): void
  send(data: string): void
  close(): void
}
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, opts: { perMessageDeflate: boolean }) => Ws

export interface CdpTarget {
  targetId: string
  type: string
  url: string
  title: string
}

export class Cdp {
  private nextId = 1
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  private readonly ws: Ws
  private constructor(ws: Ws) {
    this.ws = ws
    ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { id?: number; result?: unknown; error?: { message: string } }
      if (m.id === undefined) return
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (m.error) p.reject(new Error(m.error.message))
      else p.resolve(m.result)
    })
  }

  static connect(url: string): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false })
      ws.once('open', () => resolve(new Cdp(ws)))
      ws.once('error', reject)
    })
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++
    const body: Record<string, unknown> = { id, method, params }
    if (sessionId) body['sessionId'] = sessionId
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.ws.send(JSON.stringify(body))
    })
  }

  async targets(): Promise<CdpTarget[]> {
    return (await this.send<{ targetInfos: CdpTarget[] }>('Target.getTargets')).targetInfos
  }

  async attach(targetId: string): Promise<string> {
    return (await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true })).sessionId
  }

  /** Evaluates an expression in a target and returns its value (by value). */
  async evaluate<T>(sessionId: string, expression: string): Promise<T> {
    const r = await this.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
      sessionId,
    )
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text)
    return r.result.value as T
  }

  close(): void {
    this.ws.close()
  }
}
