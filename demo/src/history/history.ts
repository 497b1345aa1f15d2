// Activity history in IndexedDB. Every tab attaches it: the store is keyed by event id, so an
// event that reaches several tabs (through the tabs bridge) is stored once.
import { openHistory } from '@tidings/history'
import { bus } from '../bus.ts'

export const history = openHistory({
  dbName: 'tidings-demo-history',
  // Task events are published `persistent`; job outcomes are recorded by pattern.
  record: ['job.stats.{completed,failed}'],
  // Bounded: the oldest events go first.
  maxEvents: 5_000,
})

history.attach(bus)
