// Whether another tab leads a NATS bridge's election, for a tab that has just connected in leader
// mode: until it knows, its own events wait in its outbound buffer (it may be the leader-to-be,
// alone and publishing right away), and once it knows, they go out (it leads) or are handed over
// (another tab leads and got them over the tabs bridge).
import type { TidingsEvent } from '@tidings/core'
import type { LeaderElection } from '@tidings/tabs'
import type { JetStreamLink } from './jetstream.js'

/** Asks until another context is seen leading `election` (then hands this tab's waiting events
 *  over: `handOver()` ends the wait and returns them; a persistent one's publishAsync resolves as a
 *  follower's does), or until `asking()` turns false (this tab took the lead, or closed), or the
 *  election cannot say (no Web Locks query, a custom election without leaderElsewhere()): then
 *  the events wait for the lead. Asks again every `everyMs` while nobody leads (a handover in
 *  progress). Never throws. */
export async function othersLead(
  election: LeaderElection,
  asking: () => boolean,
  handOver: () => TidingsEvent[],
  js: Promise<JetStreamLink> | undefined,
  everyMs = 250,
): Promise<void> {
  while (asking()) {
    try {
      if (typeof election.leaderElsewhere !== 'function') return
      if ((await election.leaderElsewhere()) && asking()) {
        for (const e of handOver()) js?.then((link) => link.handedOver(e), () => {})
        return
      }
    } catch {
      return
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
