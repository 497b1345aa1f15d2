import { compilePatterns, isValidTopic } from '@tidings/core'
import { array, assert as check, constantFrom, property, constant, oneof } from 'fast-check'
import { describe, expect, it } from 'vitest'
import { coveringFilters, covers, escapeTopic, filtersFor, subjectFor, topicOf } from './subjects.js'

/** NATS subject matching: `*` one token, `>` one or more (last). */
function natsMatch(filter: string, subject: string): boolean {
  const f = filter.split('.')
  const s = subject.split('.')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i
    if (i >= s.length) return false
    if (f[i] !== '*' && f[i] !== s[i]) return false
  }
  return f.length === s.length
}

const char = oneof(constantFrom('a', 'b', 'c', '$', '%', '>', '~', '\u00e9'), constant(String.fromCharCode(1)))
const segment = array(char, { minLength: 1, maxLength: 4 }).map((c) => c.join(''))
const topic = array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.')).filter(isValidTopic)

describe('subjects', () => {
  it('maps patterns to the cheapest covering filters', () => {
    expect(filtersFor('t', 'a.b')).toEqual(['t.a.b'])
    expect(filtersFor('t', 'a.*.c')).toEqual(['t.a.*.c'])
    expect(filtersFor('t', 'a.**')).toEqual(['t.a.>', 't.a'])
    expect(filtersFor('t', '**')).toEqual(['t.>'])
    expect(filtersFor('t', 'a.**.c')).toEqual(['t.a.>'])
    expect(filtersFor('t', 'a.exec*')).toEqual(['t.a.>'])
    expect(filtersFor('t', 'a.{b,c.d}.e')).toEqual(['t.a.>'])
    expect(filtersFor('t', '{a,b}')).toEqual(['t.>'])
    expect(filtersFor('t', 'a.>')).toEqual(['t.a.%3E'])
    expect(coveringFilters('t', ['a.b', 'a.**', 'c', '**'])).toEqual(['t.>'])
    expect(coveringFilters('t', ['a.b', 'a.*', 'c'])).toEqual(['t.a.*', 't.c'])
    expect(covers('t.>', 't.a')).toBe(true)
    expect(covers('t.>', 't')).toBe(false)
    expect(covers('t.*', 't.>')).toBe(false)
  })

  it('escapes reversibly, never leaves a wildcard token, and the filters of a pattern cover every topic it matches', () => {
    const patterns = constantFrom('**', '*', 'a.**', 'a.*', '*.b', 'a.*.c', 'a.b*', '**.c', '{a,b.c}.**', 'a.[a-c]', '$*.**', 'a.?')
    check(
      property(topic, patterns, (t, p) => {
        const subject = subjectFor('app.t', t)
        expect(topicOf('app.t', subject)).toBe(t)
        for (const token of subject.split('.')) {
          expect(token === '*' || token === '>').toBe(false)
          expect(/\s/.test(token)).toBe(false)
        }
        if (compilePatterns(p)(t)) expect(filtersFor('app.t', p).some((f) => natsMatch(f, subject))).toBe(true)
      }),
      { numRuns: 500 },
    )
    expect(escapeTopic('a.b')).toBe('a.b')
  })
})
