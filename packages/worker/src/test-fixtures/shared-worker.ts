// Test SharedWorker: a hub bus between every page port.
import { workerBus } from '../index.ts'

const bus = workerBus({ share: ['s.**'] })
bus.subscribe('s.hello', (e, ctx) => {
  ctx.publish('s.welcome', { to: e.origin })
})
