// The worker bridge's accounting of what the shared inbound pipe reports (pure logic; the bridge
// tests in real Chromium cover the same counters end to end).
import { describe, expect, it } from 'vitest'
import type { InboundIssue } from '@tidings/core/bridge'
import type { WorkerBridgeStats } from './bridge-types.js'
import { inboundIssues } from './inbound-issues.js'

const zero = (): Omit<WorkerBridgeStats, 'unacknowledged'> => ({
  sent: 0, received: 0, batches: 0, malformed: 0, unshared: 0, echoes: 0, uncloneable: 0, dropped: 0, ingestErrors: 0,
  duplicates: 0, gaps: 0, implausible: 0, forged: 0, unresponsive: 0,
})

describe('inboundIssues', () => {
  it('counts each issue in its own stats() counter, and nothing for late or unrouted events', () => {
    const counters = zero()
    const reported: Error[] = []
    const issue = inboundIssues(counters, (e) => reported.push(e))
    const kinds: InboundIssue[] = ['malformed', 'echo', 'echo', 'unshared', 'duplicate', 'gap', 'implausible', 'late', 'unrouted']
    for (const kind of kinds) issue(kind, `why ${kind}`, undefined)
    expect(counters).toEqual({ ...zero(), malformed: 1, echoes: 2, unshared: 1, duplicates: 1, gaps: 1, implausible: 1 })
    expect(reported).toEqual([])
  })

  it('moves an event the local bus refused from received to ingestErrors and reports its error', () => {
    const counters = { ...zero(), received: 3 }
    const reported: Error[] = []
    const issue = inboundIssues(counters, (e) => reported.push(e))
    const refusal = new TypeError('queue full')
    issue('rejected', 'the bus refused it', refusal)
    issue('rejected', 'a schema said no', 'not an Error')
    issue('rejected', 'no error given', undefined)
    expect(counters.received).toBe(0)
    expect(counters.ingestErrors).toBe(3)
    expect(reported[0]).toBe(refusal)
    expect(reported.slice(1).map((e) => [e instanceof Error, e.message])).toEqual([
      [true, 'not an Error'],
      [true, 'no error given'],
    ])
  })
})
