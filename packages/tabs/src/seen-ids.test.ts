import { describe, expect, it } from 'vitest'
import { SeenIds } from './seen-ids.js'

describe('SeenIds', () => {
  it('reports duplicates', () => {
    const s = new SeenIds(4)
    expect(s.add('a')).toBe(true)
    expect(s.add('b')).toBe(true)
    expect(s.add('a')).toBe(false)
    expect(s.has('b')).toBe(true)
    expect(s.has('c')).toBe(false)
  })

  it('stays bounded and forgets the oldest first', () => {
    const s = new SeenIds(3)
    for (let i = 0; i < 1000; i++) s.add(`id${i}`)
    expect(s.size).toBe(3)
    expect(s.has('id999')).toBe(true)
    expect(s.has('id997')).toBe(true)
    expect(s.has('id996')).toBe(false)
    expect(s.has('id0')).toBe(false)
  })
})
