// One bus across this origin's tabs. Only the activity topics leave the tab: the burst ticks of
// the backpressure demo and the job progress stay local (`share` is an allow-list).
import { connectTabs, electLeader } from '@tidings/tabs'
import { bus } from '../bus.ts'

export const tabs = connectTabs(bus, { channel: 'tidings-demo', share: ['task.**'] })

/** Exactly one open tab leads (Web Locks); it is the one that writes the activity history. */
export const leader = electLeader('tidings-demo-history')
