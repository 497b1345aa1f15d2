// The data tree shows the types the page's exact copy keeps (decoded with the one encoding).
import { decode, encode } from '@tidings/core/bridge'
import { h, render } from 'preact'
import { expect, it } from 'vitest'
import { DataTree } from './tree.tsx'

it('shows a Map as a Map, a Set as a Set, a Date as a Date, a BigInt as a BigInt, -0 as -0', () => {
  const sent = { byId: new Map([['u1', 1]]), tags: new Set(['a']), at: new Date(0), big: 10n ** 20n, negZero: -0, bytes: new Uint8Array([1, 2]) }
  const root = document.createElement('div')
  render(h(DataTree, { value: decode(encode(sent, 'data'), 'data') }), root)
  const text = root.textContent ?? ''
  for (const part of ['byId: Map(1)', 'u1: 1', 'tags: Set(1)', '0: "a"', 'at: Date 1970-01-01T00:00:00.000Z', 'big: 100000000000000000000n', 'negZero: -0', 'bytes: Uint8Array(2) [1, 2]'])
    expect(text).toContain(part)
  render(null, root)
})
