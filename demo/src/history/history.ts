// Activity history in IndexedDB. Every tab attaches it: the store is keyed by event id, so an
// event that reaches several tabs (through the tabs bridge) is stored once.
import { openHistory } from '@tidings/history'
import { bus } from '../bus.ts'

/** Job outcomes are recorded by pattern; task events are published `persistent`. */
const RECORD = 'job.stats.{completed,failed}'

/** Every topic this tab's history writes: the history panel re-queries when one is published. */
export const RECORDED_TOPICS = ['task.**', RECORD] as const

export const history = openHistory({
  dbName: 'tidings-demo-history',
  record: [RECORD],
  // Bounded: the oldest events go first.
  maxEvents: 5_000,
})

history.attach(bus)
