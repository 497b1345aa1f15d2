// Runs the example at the top of docs/encoding.md as written: each full-line comment in the block
// is what the console.log just before it prints.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'
import { expect, it, vi } from 'vitest'

const here = path.dirname(fileURLToPath(import.meta.url))
const doc = readFileSync(path.join(here, '..', '..', '..', '..', 'docs', 'encoding.md'), 'utf8')
const block = /```ts\n([\s\S]*?)```/.exec(doc)?.[1] ?? ''

it('docs/encoding.md: the example prints what its comments say', async () => {
  const expected = block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('// '))
    .map((l) => l.slice(3))
  expect(expected.length).toBe(4)
  const dir = path.join(tmpdir(), 'tidings-docs-encoding')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `example-${Date.now()}.ts`)
  writeFileSync(file, block.replaceAll("from '@tidings/core/bridge'", `from ${JSON.stringify(path.join(here, 'index.ts'))}`))
  const lines: string[] = []
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' '))
  })
  try {
    await import(/* @vite-ignore */ file)
  } finally {
    spy.mockRestore()
    rmSync(file, { force: true })
  }
  expect(lines).toEqual(expected)
})
