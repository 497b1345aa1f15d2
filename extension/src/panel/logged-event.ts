// One row of the panel's log (LoggedEvent): the wire items an event was built from, read
// through getters; and the lowercase text the log's search matches against.
import type { FollowerItem, PublishItem } from '@tidings/devtools/protocol'

type FollowerKind = FollowerItem['kind']
export type Follower<K extends FollowerKind> = Extract<FollowerItem, { kind: K }>

/**
 * One row of the log, made of the wire items it was built from and nothing else (the one item
 * schema of @tidings/devtools/protocol): its publish item and, in arrival order, the items that
 * name it (deliveries, errors, drops, rejects, bridge hops). Views read them through the getters;
 * an export writes the items back out as they are, so an import rebuilds the same row.
 */
export class LoggedEvent {
  /** Arrival number in this panel (monotonic, survives eviction). */
  readonly n: number
  readonly item: PublishItem
  readonly followers: FollowerItem[]
  /** Recorded by the agent while the panel was closed (shown as "before the panel opened"). */
  readonly recorded: boolean
  search: string | undefined

  constructor(n: number, item: PublishItem, followers: FollowerItem[], recorded = false) {
    this.n = n
    this.item = item
    this.followers = followers
    this.recorded = recorded
  }

  get event() {
    return this.item.event
  }
  get ctx() {
    return this.item.ctx
  }
  get receipt() {
    return this.item.receipt
  }
  get at() {
    return this.item.at
  }
  of<K extends FollowerKind>(...kinds: K[]): Follower<K>[] {
    return this.followers.filter((f): f is Follower<K> => (kinds as FollowerKind[]).includes(f.kind))
  }
  get deliveries() {
    return this.of('deliver')
  }
  /** Deliveries: the receipt's count (made in publish()), or the deliver items seen when the
   *  agent streams per-handler timing (they also count queued deliveries as they run). */
  get delivered() {
    return Math.max(this.receipt.delivered, this.deliveries.length)
  }
  get errors() {
    return this.of('error')
  }
  get refusals() {
    return this.of('drop', 'reject')
  }
  /** The bridges this event crossed: 'in' (it came from another context) or 'out'. */
  get hops() {
    return this.of('bridge')
  }
  /** A handler failed or a subscription dropped or refused it. */
  get problem(): 'error' | 'dropped' | undefined {
    if (this.of('error').length > 0) return 'error'
    const r = this.receipt
    return r.dropped > 0 || r.rejected > 0 || this.of('drop', 'reject').length > 0 ? 'dropped' : undefined
  }
}

/** The text the log's search matches (type, id, correlation id and data as JSON), made once per row. */
export function searchable(e: LoggedEvent): string {
  if (e.search === undefined) {
    let data = ''
    try {
      data = JSON.stringify(e.event.data) ?? ''
    } catch {
      data = ''
    }
    e.search = `${e.event.type} ${e.event.id} ${e.event.correlationId ?? ''} ${data}`.toLowerCase()
  }
  return e.search
}
