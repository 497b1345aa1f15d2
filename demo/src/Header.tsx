// Who this tab is, which other tabs are open, and whether this tab is the elected leader.
import { shortOrigin, bus } from './bus.ts'
import { useLeader, useObservable } from './hooks/tidings.ts'
import { leader, tabs } from './tabs/connect.ts'

export function Header() {
  const peers = useObservable(tabs.peers$, tabs.peers())
  const isLeader = useLeader(leader)
  return (
    <header>
      <h1>Tidings task board</h1>
      <span
        data-testid="tab-id"
        class="explained"
        title={`Every tab's bus has a random origin id; this one's is ${bus.origin}. The board and the log name a tab by the last 4 characters of its id ("tab ${shortOrigin(bus.origin)}").`}
      >
        this tab: {shortOrigin(bus.origin)}
      </span>
      <span data-testid="peer-count" data-count={peers.length}>
        {peers.length} other tab{peers.length === 1 ? '' : 's'} open
      </span>
      {/* Web Locks elect exactly one leader; an app would give it the singleton jobs (polling a
          server, syncing to a backend). Close the leader tab and another one takes over. */}
      <span data-testid="leader" data-leader={String(isLeader)} class={isLeader ? 'badge' : 'muted'}>
        {isLeader ? 'leader' : 'follower'}
      </span>
    </header>
  )
}
