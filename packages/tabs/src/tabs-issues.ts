// What a tabs bridge counts (stats()) and reports (issues$): every reason something was dropped
// or noticed, inbound or outbound. Nothing here is ever thrown into the app.
import type { InboundIssue } from '@tidings/core/bridge'
import { Subject, type Observable } from 'rxjs'
import type { TabsIssue, TabsStats } from './tabs-types.js'

export class TabsIssues {
  readonly counters: Omit<TabsStats, 'peers'> = {
    sent: 0, batchesSent: 0, received: 0, batchesReceived: 0, duplicates: 0, outOfOrder: 0, gaps: 0, implausible: 0,
    malformed: 0, unsigned: 0, forged: 0, contradicted: 0, rejected: 0, unsendable: 0, echoes: 0, unrouted: 0,
  }
  readonly #issues = new Subject<TabsIssue>()
  readonly issues$: Observable<TabsIssue> = this.#issues.asObservable()

  /** Counts an issue of the shared inbound pipe (ingestBatch); reports the ones apps care about. */
  inbound(kind: InboundIssue, reason: string): void {
    const c = this.counters
    switch (kind) {
      case 'malformed':
      case 'rejected':
      case 'gap':
      case 'implausible':
        this.issue(kind, reason)
        return
      case 'echo':
        c.echoes++
        return
      case 'unshared':
        return
      case 'unrouted':
        c.unrouted++
        return
      case 'duplicate':
        c.duplicates++
        return
      case 'late':
        c.outOfOrder++
    }
  }

  /** Counts `n` of `kind` and reports it on issues$ (built only when someone listens). */
  issue(kind: TabsIssue['kind'], reason: string, n = 1): void {
    this.counters[kind === 'gap' ? 'gaps' : kind] += n
    if (this.#issues.observed) this.#issues.next({ kind, reason })
  }

  /** Counts one `kind` now and reports it on issues$ once its reason is known (a reason that needs
   *  a part loaded with import()). A reason that settles after close() is dropped with the stream. */
  issueLater(kind: TabsIssue['kind'], reason: Promise<string>): void {
    this.counters[kind === 'gap' ? 'gaps' : kind]++
    void reason.then((r) => {
      if (this.#issues.observed) this.#issues.next({ kind, reason: r })
    })
  }

  complete(): void {
    this.#issues.complete()
  }
}
