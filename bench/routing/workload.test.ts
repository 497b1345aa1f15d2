// The wildcard workload's expected counts are what every library's runs are checked against, so
// they are checked here against picomatch (the glob engine under Tidings' patterns, with '.' mapped
// to '/' as core does) and against EventEmitter2's wildcard routing.
import EventEmitter2 from 'eventemitter2'
import picomatch from 'picomatch/posix.js'
import { describe, expect, it } from 'vitest'
import { wildcardPattern, wildcardWorkload } from './workload.ts'

describe('wildcardWorkload', () => {
  const w = wildcardWorkload(300, 2000)

  it('mixes exact, a.*.c and a.** patterns with distinct first segments', () => {
    expect(w.patterns.slice(0, 3)).toEqual(['s0.b.c', 's1.*.c', 's2.**'])
    expect(w.patterns[299]).toBe(wildcardPattern(299))
    expect(new Set(w.patterns.map((p) => p.split('.')[0])).size).toBe(300)
  })

  it('publishes distinct topics of which 10% match', () => {
    expect(w.cycle).toHaveLength(2000)
    expect(new Set(w.cycle).size).toBe(2000)
    expect(w.matching).toBe(200)
    expect(w.perPattern.reduce((a, b) => a + b, 0)).toBe(200)
  })

  it('expects per pattern exactly what the glob semantics deliver', () => {
    const matchers = w.patterns.map((p) => picomatch.makeRe(p.replaceAll('.', '/'), { posix: true, dot: true }))
    const counts = new Array<number>(w.patterns.length).fill(0)
    for (const topic of w.cycle) {
      const path = topic.replaceAll('.', '/')
      const hits = matchers.flatMap((re, k) => (re.test(path) ? [k] : []))
      expect(hits.length).toBeLessThanOrEqual(1)
      for (const k of hits) counts[k] = (counts[k] ?? 0) + 1
    }
    expect(counts).toEqual([...w.perPattern])
  })

  it('agrees with EventEmitter2 wildcard routing', () => {
    const ee = new EventEmitter2({ wildcard: true, delimiter: '.', maxListeners: 0 })
    const counts = new Array<number>(w.patterns.length).fill(0)
    w.patterns.forEach((p, k) => ee.on(p, () => void (counts[k] = (counts[k] ?? 0) + 1)))
    for (const topic of w.cycle) ee.emit(topic)
    expect(counts).toEqual([...w.perPattern])
  })

  it('is deterministic for a seed', () => {
    expect(wildcardWorkload(300, 2000).cycle).toEqual(w.cycle)
    expect(wildcardWorkload(300, 2000, 0.1, 7).cycle).not.toEqual(w.cycle)
  })
})
