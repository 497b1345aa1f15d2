// Every package's public entry points, imported under node16 resolution and emitted.
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import '@tidings/core/globs'
import { connectDevtools } from '@tidings/devtools'
import { isWireItem } from '@tidings/devtools/protocol'
import { openHistory, type History } from '@tidings/history'
import { connectTabs, electLeader, sharedState } from '@tidings/tabs'
import { connectWorker, createWorkerPool, registerHandlers, workerBus } from '@tidings/worker'
import { BusProvider, typedHooks, useEvent } from '@tidings/react'

export function wire(): { bus: Bus<{ 'a.b': { n: number } }>; history: History; last: TidingsEvent | undefined } {
  const bus = createBus<{ 'a.b': { n: number } }>()
  let last: TidingsEvent | undefined
  bus.subscribe('a.*', (e) => {
    last = e
  })
  bus.publish('a.b', { n: 1 })
  const history = openHistory({ dbName: 'x' })
  return { bus, history, last }
}

export const entryPoints = [BusProvider, typedHooks, useEvent, connectDevtools, isWireItem, connectTabs, electLeader, sharedState, connectWorker, createWorkerPool, registerHandlers, workerBus]
