// Test pool worker: one handler per behaviour the pool must survive.
import type { TidingsEvent } from '@tidings/core'
import { registerHandlers, transfer } from '../index.js'

let abortedCalls: string[] = []
const scope = globalThis as unknown as { close(): void }
// Captured before registerHandlers() wraps close(): closing through it sends no notice, so only
// the port's 'close' event (or the call's timeout) can reveal the dead worker.
const rawClose = scope.close.bind(scope)

registerHandlers({
  double: (e: TidingsEvent) => (e.data as { n: number }).n * 2,
  echo: (e, ctx) => ({ id: e.id, type: e.type, data: e.data, attempt: ctx.attempt, subscriptionId: ctx.subscriptionId, handler: ctx.handler }),
  async slow(e, ctx) {
    const ms = (e.data as { ms: number }).ms
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms)
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t)
        abortedCalls.push(String((e.data as { tag?: string }).tag ?? e.id))
        resolve()
      })
    })
    return ctx.signal.aborted ? 'aborted' : 'done'
  },
  aborted: () => {
    const out = abortedCalls
    abortedCalls = []
    return out
  },
  throws: (e) => {
    const err = new RangeError(`bad value ${(e.data as { n: number }).n}`)
    throw err
  },
  throwsString: () => {
    throw 'plain string'
  },
  exitSelf: () => {
    scope.close()
    return 'unreachable'
  },
  exitRaw: () => {
    rawClose()
    return new Promise(() => {})
  },
  timerCrash: () => {
    setTimeout(() => {
      throw new Error('boom in a timer')
    }, 0)
    return new Promise(() => {}) // never settles: the crash must fail the call
  },
  hang: () => {
    const end = Date.now() + 60_000
    while (Date.now() < end) {
      /* busy: only terminate() stops this */
    }
    return 'never'
  },
  // Fails on the first attempt by crashing; succeeds on later ones (retry policy test).
  crashFirst: (_e, ctx) => {
    if (ctx.attempt === 1) scope.close()
    return `ok on attempt ${ctx.attempt}`
  },
  sumBuffer: (e) => {
    const buf = (e.data as { buf: ArrayBuffer }).buf
    const bytes = new Uint8Array(buf)
    let sum = 0
    for (const b of bytes) sum += b
    const out = new Uint8Array(bytes.length).map((_, i) => bytes[i]! * 2)
    return transfer({ sum, byteLength: buf.byteLength, out: out.buffer }, [out.buffer])
  },
  bitmap: (e) => {
    const bmp = (e.data as { bmp: ImageBitmap }).bmp
    const size = { width: bmp.width, height: bmp.height, isBitmap: bmp instanceof ImageBitmap }
    bmp.close()
    return size
  },
  nonCloneableResult: () => ({ fn: () => 1 }),
})
