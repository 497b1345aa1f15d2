// Test worker: joins the page's bus and answers over it.
import type { TidingsEvent } from '@tidings/core'
import { workerBus, type WorkerBridge } from '../index.js'

let bridge: WorkerBridge | undefined
const bus = workerBus({ share: ['t.**'], onBridge: (b) => (bridge = b) })

// Echo back what arrived, envelope fields included, as a reply in the same correlation.
bus.subscribe('t.ping', (e, ctx) => {
  ctx.publish('t.pong', { id: e.id, origin: e.origin, seq: e.seq, correlationId: e.correlationId, data: e.data, bridgedBy: bus.bridgedBy(e) })
})

let bulk: number[] = []
bus.subscribe('t.bulk', (e: TidingsEvent) => {
  bulk.push((e.data as { i: number }).i)
})
bus.subscribe('t.bulk.done', () => {
  let ordered = true
  for (let i = 1; i < bulk.length; i++) if (bulk[i]! <= bulk[i - 1]!) ordered = false
  bus.publish('t.bulk.result', { count: bulk.length, ordered, first: bulk[0], last: bulk[bulk.length - 1] })
  bulk = []
})

let seenAll = 0
bus.on('**').subscribe(() => seenAll++)
bus.subscribe('t.stats', () => {
  bus.publish('t.stats.result', { seenAll, bridge: bridge?.stats(), origin: bus.origin })
})

// Worker-originated events, some shared and some not, plus one that cannot be cloned.
bus.subscribe('t.emit', () => {
  bus.publish('hidden.x', { secret: true })
  bus.publish('t.from-worker', { n: 1 }, { correlationId: 'corr-w' })
  bus.publish('t.local', { n: 2 }, { local: true })
  bus.publish('t.from-worker', { n: 3 })
})

// Records t.chain events in arrival order (order of causes and reactions).
const chain: unknown[] = []
bus.subscribe('t.chain', (e) => {
  chain.push(e.data)
})
bus.subscribe('t.chain.report', () => {
  bus.publish('t.chain.result', chain.splice(0))
})

// Responders for bus.request() from the page, and a request of the page's responders.
bus.reply('t.calc.add', (e) => {
  const { a, b } = e.data as { a: number; b: number }
  return { sum: a + b, origin: bus.origin, correlationId: e.correlationId }
})
bus.reply('t.calc.fail', () => {
  throw new TypeError('worker says no')
})
let slowStarted = 0
bus.reply('t.calc.slow', () => {
  slowStarted++
  return new Promise(() => {}) // never answers
})
bus.subscribe('t.calc.slow-started', () => void bus.publish('t.calc.slow-started.result', slowStarted))
bus.subscribe('t.bridge.close', () => bridge?.close())
bus.subscribe('t.ask-page', async (e) => {
  try {
    bus.publish('t.ask-page.result', { ok: true, value: await bus.request('t.page.echo', e.data, { timeoutMs: 2000 }) })
  } catch (err) {
    bus.publish('t.ask-page.result', { ok: false, name: (err as Error).name })
  }
})

// Faults for the responder-gone tests: block the thread for a while (a stuck worker), or throw an
// uncaught error from a timer (the Worker's error event on the page; the worker lives on).
bus.subscribe('t.block', (e) => {
  const end = Date.now() + (e.data as number)
  while (Date.now() < end) {
    /* stuck: no message is handled meanwhile */
  }
})
bus.subscribe('t.throw-uncaught', () => {
  setTimeout(() => {
    throw new Error('uncaught in the worker')
  }, 0)
})
