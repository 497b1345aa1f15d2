// Benchmark worker: counts bridged events and checks their order.
import { workerBus } from '../src/index.ts'

const bus = workerBus({ share: ['b.**'] })
let count = 0
let last = -1
let ordered = true
bus.subscribe('b.tick', (e) => {
  const i = (e.data as { i: number }).i
  if (i !== last + 1) ordered = false
  last = i
  count++
})
bus.subscribe('b.done', () => {
  bus.publish('b.count', { count, ordered })
  count = 0
  last = -1
  ordered = true
})
