import { describe, expect, it } from 'vitest'
import { InvalidTopicError } from './errors.js'
import { createBus } from './index.js'
import { assertTopic, isSystemTopic, isValidTopic } from './topic.js'

describe('published topics', () => {
  it.each(['a', 'user.login', 'agent.execution.completed', '$tidings.error', 'a-b_c.d1', 'x'.repeat(255)])('%j is valid', (t) => {
    expect(isValidTopic(t)).toBe(true)
  })

  it.each([
    ['', 'must not be empty'],
    ['a..b', 'empty segment'],
    ['a.b.', 'trailing dot'],
    ['a.*', "wildcard character '*'"],
    ['a.**', "wildcard character '*'"],
    ['a?', "wildcard character '?'"],
    ['a.[b]', "wildcard character '['"],
    ['{a,b}', "wildcard character '{'"],
    ['a/b', "'/'"],
    ['a\tb', 'whitespace'],
    ['x'.repeat(256), 'at most 255 characters (got 256)'],
  ])('%j is rejected: %s', (t, rule) => {
    expect(() => assertTopic(t)).toThrow(InvalidTopicError)
    expect(() => assertTopic(t)).toThrow(rule)
  })

  it('names the input in the message', () => {
    expect(() => assertTopic('a..b')).toThrow('Invalid topic "a..b"')
  })

  it('rejects non-strings with a typed error', () => {
    expect(() => assertTopic(42)).toThrow(InvalidTopicError)
    expect(() => assertTopic(undefined)).toThrow('must be a string')
  })

  it('knows system topics', () => {
    expect(isSystemTopic('$tidings.error')).toBe(true)
    expect(isSystemTopic('tidings.error')).toBe(false)
  })
})

describe('subscribe() pattern checks', () => {
  // subscribe() skips re-validating the pattern it validated last: every other pattern is still
  // checked, before and after a repeat.
  it('still rejects a bad pattern between repeats of a good one, and accepts the repeats', () => {
    const bus = createBus()
    bus.subscribe('a.b', () => {})
    bus.subscribe('a.b', () => {})
    expect(() => bus.subscribe('a..b', () => {})).toThrow(InvalidTopicError)
    expect(() => bus.subscribe('', () => {})).toThrow(InvalidTopicError)
    bus.subscribe('a.b', () => {})
    expect(() => bus.subscribe('a.b.', () => {})).toThrow(InvalidTopicError)
    expect(bus.publish('a.b', 1).delivered).toBe(3)
  })
})
