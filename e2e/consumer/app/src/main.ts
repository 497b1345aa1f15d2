// The consumer app: what a user writes after `npm install`ing the packed tarballs into a fresh
// create-vite vanilla-ts app. scripts/consumer-test.mjs copies this folder over the template,
// type-checks it and builds it; e2e/tests/consumer.spec.ts drives the built app in Chromium.
// Everything here must compile against the built declarations and run from the built JS.
import { createBus, type TidingsEvent } from '@tidings/core'
// '{a,b}' patterns need the extended matcher; the bare import must survive bundling.
import '@tidings/core/globs'
import { connectDevtools } from '@tidings/devtools'
import { openHistory } from '@tidings/history'
import { connectTabs, sharedState } from '@tidings/tabs'
import { createWorkerPool } from '@tidings/worker'
import { Observable, firstValueFrom, filter, map, take, toArray } from 'rxjs'
import { createElement, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { BusProvider, typedHooks } from '@tidings/react'

interface Events {
  'order.created': { id: number }
  'order.paid': { id: number; total: number }
  'job.square': { n: number }
  'audit.note': { text: string }
  'chat.message': { text: string }
}

const bus = createBus<Events>({ name: 'consumer' })
// stats().published counts every event the bus published, its $tidings.* system events included
// (bus.started, subscription.added... which the tabs bridge listens to): count those apart.
let systemEvents = 0
bus.subscribe('$tidings.**', () => void systemEvents++)
const devtools = connectDevtools(bus, { name: 'consumer' })
const tabs = connectTabs(bus, { share: 'chat.**' })
const counter = sharedState(bus, 'consumer-counter', 0)

async function basics() {
  const seen: string[] = []
  bus.subscribe('order.created', (e) => seen.push(`exact:${e.type}:${e.data.id}`))
  bus.subscribe('order.*', (e) => seen.push(`glob:${e.type}`))
  bus.subscribe('**', (e) => seen.push(`all:${e.type}`))
  bus.subscribe('{order,audit}.created', (e) => seen.push(`brace:${e.type}`))
  const queued: number[] = []
  bus.subscribe('order.paid', async (e) => void queued.push(e.data.total), { queue: { max: 2, strategy: 'drop-oldest' } })
  // An Observable from the app's own rxjs pipes the bus's stream: one rxjs copy.
  const paidTotals = firstValueFrom(
    bus.on('order.paid').pipe(
      map((e) => e.data.total),
      filter((t) => t > 0),
      take(3),
      toArray(),
    ),
  )
  const receipt = bus.publish('order.created', { id: 1 })
  for (const total of [10, 20, 30]) bus.publish('order.paid', { id: 1, total })
  await new Promise((r) => setTimeout(r, 50))
  return {
    seen,
    receipt: { matched: receipt.matched, delivered: receipt.delivered },
    queued,
    totals: await paidTotals,
    sameRxjs: bus.on('order.paid') instanceof Observable,
    stats: bus.stats().published - systemEvents,
  }
}

async function shared() {
  await counter.ready
  return counter.get()
}

function setShared(n: number) {
  return counter.set(n)
}

async function chat(text: string) {
  await tabs.ready
  bus.publish('chat.message', { text })
}

function chatLog(): Promise<string[]> {
  return firstValueFrom(
    bus.on('chat.message').pipe(
      map((e: TidingsEvent<{ text: string }>) => e.data.text),
      take(1),
      toArray(),
    ),
  )
}

async function poolJob() {
  const pool = createWorkerPool(() => new Worker(new URL('./pool-worker.ts', import.meta.url), { type: 'module' }), { size: 1, timeoutMs: 5000 })
  const squares: number[] = []
  const square = pool.handler<number, TidingsEvent<{ n: number }>>('square')
  bus.subscribe('job.square', async (e, ctx) => void squares.push(await square(e, ctx)), { queue: { max: 10, strategy: 'reject' } })
  for (const n of [2, 3, 4]) bus.publish('job.square', { n })
  while (squares.length < 3) await new Promise((r) => setTimeout(r, 10))
  pool.terminate()
  return squares
}

async function history() {
  const h = openHistory({ dbName: `consumer-${Date.now()}`, record: 'audit.**' })
  const detach = h.attach(bus)
  bus.publish('audit.note', { text: 'recorded' })
  await bus.publishAsync('order.created', { id: 2 }, { persistent: true })
  await h.flush()
  const audit = await h.query({ type: 'audit.**' })
  const all = await h.count()
  detach.unsubscribe()
  await h.close()
  return { audit: audit.map((e) => e.data), all }
}

// React, without JSX (the template's tsconfig has no jsx setting): a counter fed by useEvent and
// the last message through useLatest.
const { useEvent, useLatest } = typedHooks<Events>()
function Counter() {
  const [paid, setPaid] = useState(0)
  useEvent('order.paid', () => setPaid((n) => n + 1))
  const last = useLatest('order.paid')
  return createElement('p', { id: 'react-counter' }, `paid ${paid}, last total ${last?.data.total ?? 'none'}`)
}
const reactRoot = document.createElement('div')
document.body.append(reactRoot)
createRoot(reactRoot).render(createElement(BusProvider, { bus, children: createElement(Counter) }))

const api = { basics, shared, setShared, chat, chatLog, poolJob, history, devtools: () => ({ connected: devtools.connected, sessions: devtools.stats().sessions }) }
declare global {
  interface Window {
    consumer: typeof api
  }
}
window.consumer = api
document.querySelector<HTMLDivElement>('#app')!.textContent = 'Tidings consumer app ready'
document.body.dataset['ready'] = 'true'
