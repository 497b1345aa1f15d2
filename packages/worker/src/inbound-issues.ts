// What the worker bridge does with each problem the shared inbound pipe ('@tidings/core/bridge')
// finds in what the peer sends: counted in stats(), and a refusal by the local bus is reported on
// errors$. Nothing the peer sends is thrown into the app or the message loop.
import { toError, type InboundIssue, type InboundPipe } from '@tidings/core/bridge'
import type { WorkerBridgeStats } from './bridge-types.js'

type Counters = Omit<WorkerBridgeStats, 'unacknowledged'>

/** The stats() counter of each issue that is only counted ('late' events are delivered, out of
 *  order, and 'rejected' ones are handled below). */
const COUNTERS: Partial<Record<InboundIssue, keyof Counters>> = {
  malformed: 'malformed',
  echo: 'echoes',
  unshared: 'unshared',
  duplicate: 'duplicates',
  gap: 'gaps',
  implausible: 'implausible',
}

/** The pipe's `issue` callback: adds to `counters`; an event the local bus refused (a schema, a
 *  full 'reject' queue) was counted as received before ingest, so it moves to `ingestErrors`
 *  and its error goes to `report`. */
export function inboundIssues(counters: Counters, report: (error: Error) => void): InboundPipe['issue'] {
  return (kind, reason, error) => {
    const counter = COUNTERS[kind]
    if (counter !== undefined) counters[counter]++
    else if (kind === 'rejected') {
      counters.received--
      counters.ingestErrors++
      report(error === undefined ? new Error(reason) : toError(error))
    }
  }
}
