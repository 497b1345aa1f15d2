// Test SharedWorker: a hub bus between every page port.
import { workerBus } from '../index.js'

const bus = workerBus({ share: ['s.**'] })
bus.subscribe('s.hello', (e, ctx) => {
  ctx.publish('s.welcome', { to: e.origin })
})
