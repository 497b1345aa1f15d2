// Exact topics live in a table object while they are few, then in a Map (exact-topics.ts): these
// check that no topic a user can write collides with what an object inherits or coerces, in
// either form.
import * as fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createBus } from './bus.js'
import { InvalidTopicError } from './errors.js'
import { ExactTopics } from './exact-topics.js'
import { RouteIndex, type RouteEntry } from './route-index.js'

let order = 0
const route = (): RouteEntry => ({ order: order++, priority: 0 })

/** Names an object (or its prototype chain, or the key coercion) could answer for. */
const TRICKY = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'length', '0', '42', '4294967295', '-1', '1e3', 'undefined', 'null', 'NaN', 'a.__proto__', 'constructor.prototype']

describe('exact topics table', () => {
  it.each([['a table', 0], ['a Map', 100]])('routes topics named like inherited members or array indexes only to their own subscribers (%s)', (_, filler) => {
    const bus = createBus()
    for (let i = 0; i < filler; i++) bus.subscribe(`filler.t${i}`, () => {})
    const got = new Map<string, string[]>()
    for (const t of TRICKY) bus.subscribe(t, (e) => void got.set(t, [...(got.get(t) ?? []), e.type]))
    for (const t of TRICKY) expect(bus.publish(t, 1).delivered).toBe(1)
    for (const t of TRICKY) expect(got.get(t)).toEqual([t])
    // Never subscribed: nothing inherited answers.
    for (const t of ['isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '1', 'b.__proto__']) expect(bus.publish(t, 1).matched).toBe(0)
  })

  it('never routes a non-string type through key coercion, even when its string form is subscribed', () => {
    const bus = createBus()
    let n = 0
    for (const t of ['undefined', 'null', '42', 'x']) bus.subscribe(t, () => void n++)
    const toStringType = { toString: () => 'x' }
    for (const bad of [undefined, null, 42, {}, toStringType]) {
      expect(() => bus.publish({ type: bad as unknown as string, data: 1 })).toThrow(InvalidTopicError)
    }
    expect(n).toBe(0)
  })

  it('matches a Map model through any sequence of adds and removes (fast-check)', () => {
    const topic = fc.oneof(fc.constantFrom(...TRICKY), fc.stringMatching(/^[a-z0-9_$-]{1,6}(\.[a-z0-9_$-]{1,6}){0,2}$/))
    const op = fc.record({ add: fc.boolean(), topic, r: fc.nat(4) })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.constantFrom('table', 'many-misses', 'glob', 'map'), (ops, mode) => {
        const index = new RouteIndex<RouteEntry>()
        // With a glob the lookup goes through the cache and the trie; without, the table alone;
        // with many exact topics, or after 1024 lookups that found nothing, a Map.
        if (mode === 'glob') index.add('zz.**', route())
        if (mode === 'many-misses') for (let i = 0; i < 1100; i++) expect(index.match(`never.${i}`)).toEqual([])
        const routes = Array.from({ length: 5 }, route)
        const model = new Map<string, RouteEntry[]>()
        // More than 64 exact topics: a Map from the 65th on (its routes checked like the rest).
        const fill = mode === 'map' ? Array.from({ length: 70 }, (_, i) => ({ add: true, topic: `filler.t${i}`, r: i % 5 })) : []
        for (const { add, topic: t, r } of [...fill, ...ops]) {
          const entry = routes[r]!
          const list = model.get(t) ?? []
          if (add && !list.includes(entry)) {
            index.add(t, entry)
            model.set(t, [...list, entry].sort((a, b) => a.order - b.order))
          } else if (!add && list.includes(entry)) {
            index.remove(t, entry)
            model.set(t, list.filter((x) => x !== entry))
          }
          for (const [k, v] of model) expect(index.match(k)).toEqual(v)
        }
        for (const t of TRICKY) expect(index.match(t)).toEqual(model.get(t) ?? [])
      }),
      { numRuns: 300 },
    )
  })

  it('keeps a table up to 64 topics and moves every topic into a Map at the 65th', () => {
    const exact = new ExactTopics<number>()
    for (let i = 0; i < 64; i++) exact.set(`t${i}`, [i])
    expect(exact.table).toBeDefined()
    expect(exact.map).toBeUndefined()
    exact.delete('t0')
    exact.set('t0', [0]) // back to 64: still a table
    expect(exact.map).toBeUndefined()
    exact.set('t64', [64])
    expect(exact.table).toBeUndefined()
    expect([...exact.map!.keys()].sort()).toEqual(Array.from({ length: 65 }, (_, i) => `t${i}`).sort())
    for (let i = 0; i <= 64; i++) expect(exact.get(`t${i}`)).toEqual([i])
  })

  it('moves to a Map after 1024 lookups that found nothing, and not before', () => {
    const exact = new ExactTopics<number>()
    exact.set('a.b', [1])
    for (let i = 0; i < 1024; i++) expect(exact.get(`never.${i}`)).toBeUndefined()
    expect(exact.get('a.b')).toEqual([1]) // hits do not count
    expect(exact.map).toBeUndefined()
    exact.missed()
    expect(exact.table).toBeUndefined()
    expect(exact.map!.get('a.b')).toEqual([1])
    // The same through RouteIndex.match() on a wildcard-free bus.
    const index = new RouteIndex<RouteEntry>()
    const r = route()
    index.add('a.b', r)
    for (let i = 0; i < 1025; i++) index.match(`never.${i}`)
    expect((index as unknown as { exact: ExactTopics<RouteEntry> }).exact.map).toBeDefined()
    expect(index.match('a.b')).toEqual([r])
  })
})
