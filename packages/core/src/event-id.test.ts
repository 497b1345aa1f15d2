import { describe, expect, it } from 'vitest'
import { EventIds } from './event-id.js'

describe('EventIds', () => {
  it('produces `${origin}:${seq}` exactly, across the table boundaries', () => {
    const ids = new EventIds('o')
    const seen: string[] = []
    for (let seq = 0; seq < 1_001_500; seq++) {
      const id = ids.next()
      if (id !== `o:${seq}`) throw new Error(`wrong id ${id} at ${seq}`)
      if (seq === 0 || seq === 999 || seq === 1000 || seq === 1_000_001) seen.push(id)
    }
    expect(seen).toEqual(['o:0', 'o:999', 'o:1000', 'o:1000001'])
  })
})
