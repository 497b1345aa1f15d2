// Baseline: the same work exposed with plain Comlink.
import { expose } from 'comlink'

let count = 0
let last = -1
let ordered = true
expose({
  add: (n: number) => n + 1,
  onEvent: (e: { data: { i: number } }) => {
    if (e.data.i !== last + 1) ordered = false
    last = e.data.i
    count++
  },
  result: () => {
    const r = { count, ordered }
    count = 0
    last = -1
    ordered = true
    return r
  },
})
