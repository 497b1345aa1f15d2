import { describe, expect, it } from 'vitest'
import { InvalidTopicError } from './errors.js'
import { createBus } from './bus.js'
import { compilePatterns } from './pattern.js'
import { isValidTopic } from './topic.js'

// [pattern, topic, matches]
type Row = [string, string, boolean]

// The pattern table of docs/core.md ("Topics and patterns"), row by row.
const seedTable: Row[] = [
  ['agent.*', 'agent.started', true],
  ['agent.*', 'agent.stopped', true],
  ['agent.**', 'agent.execution.started', true],
  ['agent.**', 'agent.error', true],
  ['agent.?.started', 'agent.1.started', true],
  ['agent.[123].started', 'agent.1.started', true],
  ['{agent,tool}.started', 'agent.started', true],
  ['{agent,tool}.started', 'tool.started', true],
  ['**.error', 'a.b.error', true],
]

const more: Row[] = [
  // '*' : exactly one segment, or a run of chars inside one
  ['*', 'agent', true],
  ['*', 'agent.started', false],
  ['agent.*', 'agent', false],
  ['agent.*', 'agent.execution.started', false],
  ['agent.exec*', 'agent.execute', true],
  ['agent.exec*', 'agent.exec', true],
  ['agent.exec*', 'agent.run', false],
  ['*.started', 'tool.started', true],
  ['a.*.c', 'a.b.c', true],
  ['a.*.c', 'a.b.x.c', false],
  ['a.*.c', 'a.c', false],
  // '**' : zero or more segments, incl. the parent itself (peers get this wrong)
  ['a.**', 'a', true],
  ['a.**', 'a.b', true],
  ['a.**', 'a.b.c.d', true],
  ['a.**', 'ab', false],
  ['a.**', 'b.a', false],
  ['**', 'anything.at.all', true],
  ['**', 'x', true],
  ['**.error', 'error', true],
  ['**.error', 'db.error', true],
  ['**.error', 'db.error.retry', false],
  ['**.error', 'dberror', false],
  ['a.**.z', 'a.z', true],
  ['a.**.z', 'a.b.c.z', true],
  ['a.**.z', 'a.b.c', false],
  // '?' : one character
  ['agent.?.started', 'agent.12.started', false],
  ['agent.?.started', 'agent..started', false],
  ['v?', 'v1', true],
  ['v?', 'v', false],
  // classes, ranges and both negation spellings
  ['agent.[123].started', 'agent.4.started', false],
  ['agent.[a-c]', 'agent.b', true],
  ['agent.[a-c]', 'agent.d', false],
  ['agent.[^abc]', 'agent.d', true],
  ['agent.[^abc]', 'agent.a', false],
  ['agent.[!abc]', 'agent.d', true],
  ['agent.[!abc]', 'agent.a', false],
  ['item.[0-9][0-9]', 'item.42', true],
  ['item.[0-9][0-9]', 'item.4', false],
  // alternatives, incl. dotted ones
  ['{agent,tool}.started', 'workflow.started', false],
  ['{agent,tool.sub}.started', 'tool.sub.started', true],
  ['{agent,tool.sub}.started', 'tool.started', false],
  ['job.{started,done}', 'job.done', true],
  ['job.{started,done}', 'job.failed', false],
  ['{a,b}.**', 'b.x.y', true],
  // exact topics
  ['user.login', 'user.login', true],
  ['user.login', 'user.logout', false],
  ['user.login', 'user.login.extra', false],
  // system topics: wildcards never match them unless the pattern starts with '$'
  ['**', '$tidings.error', false],
  ['*.error', '$tidings.error', false],
  ['$tidings.*', '$tidings.error', true],
  ['$tidings.**', '$tidings.error', true],
  ['$tidings.error', '$tidings.error', true],
  ['**.error', 'tidings.error', true],
  // case-sensitive
  ['User.*', 'user.login', false],
]

describe('pattern table', () => {
  it('has at least 40 extra cases beyond the seed table', () => {
    expect(more.length).toBeGreaterThanOrEqual(40)
  })
  it.each([...seedTable, ...more])('%s vs %s -> %s', (pattern, topic, expected) => {
    expect(compilePatterns(pattern)(topic)).toBe(expected)
  })
})

// The router has its own matcher for literal/'*'/'**' patterns (a segment trie, no regex): the
// same table must hold through a real bus, alone and with many other patterns subscribed.
describe('pattern table through the bus router', () => {
  // Rows whose topic cannot be published (e.g. 'agent..started') only apply to compilePatterns.
  const publishable = [...seedTable, ...more].filter(([, t]) => isValidTopic(t))
  it('publishes nearly every row', () => expect(publishable.length).toBe(seedTable.length + more.length - 1))
  it.each(publishable)('%s vs %s -> %s', (pattern, topic, expected) => {
    const bus = createBus()
    let hits = 0
    bus.subscribe(pattern, () => hits++)
    bus.publish(topic)
    bus.publish(topic) // second publish comes from the route cache
    expect(hits).toBe(expected ? 2 : 0)
  })

  it('holds for all rows at once on one bus (shared trie nodes)', () => {
    const bus = createBus()
    const rows = publishable
    const hits = rows.map(() => 0)
    // ('$tidings.*' rows also hear the later subscriptions' '$tidings.subscription.added'.)
    rows.forEach(([pattern], i) => bus.subscribe(pattern, (e) => e.type !== '$tidings.subscription.added' && hits[i]!++))
    const topics = [...new Set(rows.map(([, t]) => t))]
    for (const t of topics) bus.publish(t)
    const expected = rows.map(([p]) => topics.filter((t) => compilePatterns(p)(t)).length)
    expect(hits).toEqual(expected)
  })
})

describe('invalid patterns', () => {
  it.each([
    ['', 'must not be empty'],
    ['a..b', 'empty segment'],
    ['a.', 'trailing dot'],
    ['.a', "must not start with '.'"],
    ['a/b', "must not contain '/'"],
    ['a\\b', "must not contain '/'"],
    ['a b', 'whitespace'],
    ['a.[bc', "unbalanced '['"],
    ['a.bc]', "unbalanced ']'"],
    ['{a,b.c', "unbalanced '{'"],
    ['a,b}.c', "unbalanced '}'"],
    ['a.b**', "'**' must be a whole segment"],
    ['x'.repeat(256), 'at most 255'],
  ])('%j throws InvalidTopicError (%s)', (pattern, rule) => {
    const attempt = () => compilePatterns(pattern)
    expect(attempt).toThrow(InvalidTopicError)
    expect(attempt).toThrow(rule)
    try {
      attempt()
    } catch (e) {
      expect((e as InvalidTopicError).input).toBe(pattern)
      expect((e as InvalidTopicError).name).toBe('InvalidTopicError')
    }
  })
})

describe('compilePatterns', () => {
  it('matches any of several patterns', () => {
    const m = compilePatterns(['a.b', 'c.*'])
    expect(['a.b', 'c.d', 'c', 'x'].map(m)).toEqual([true, true, false, false])
  })
  it('matches nothing for an empty list', () => {
    expect(compilePatterns([])('a')).toBe(false)
  })
})
