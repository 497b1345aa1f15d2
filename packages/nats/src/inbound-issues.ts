// What the bridge does with each problem the shared inbound pipe ('@tidings/core/bridge') finds
// in what it receives: counted in stats() and, where the app can act on it, emitted on errors$.
// Nothing a remote side sends is thrown into the app.
import type { InboundIssue, InboundPipe } from '@tidings/core/bridge'
import { NatsConnectionError } from './errors.js'
import type { NatsIssue, NatsStats } from './types.js'

type IssueCounter = 'rejected' | 'gaps' | 'echoes' | 'duplicates' | 'outOfOrder' | 'implausible'

/** The pipe's `issue` callback: adds to `counters`, reports on `emit`, and hands a malformed
 *  event to `malformed` (connectNats' report of a malformed message, with '(event)' as its
 *  subject). */
export function inboundIssues(
  counters: Record<IssueCounter, number>,
  emit: (kind: NatsIssue['kind'], error: Error) => void,
  malformed: (subject: string, reason: string) => void,
): InboundPipe['issue'] {
  return (kind, reason, error) => {
    if (kind === 'malformed') return malformed('(event)', reason)
    const counter = ISSUE_COUNTERS[kind]
    if (counter) counters[counter]++
    if (kind === 'rejected') emit('rejected', error instanceof Error ? error : new Error(reason))
    else if (kind === 'gap') emit('gap', new NatsConnectionError('events were lost', reason))
  }
}

/** The stats() counter of each inbound issue the pipe reports (malformed has its own path; the
 *  others, such as unshared, are not counted). */
const ISSUE_COUNTERS: Partial<Record<InboundIssue, IssueCounter & keyof NatsStats>> = {
  rejected: 'rejected',
  gap: 'gaps',
  echo: 'echoes',
  duplicate: 'duplicates',
  late: 'outOfOrder',
  implausible: 'implausible',
}
