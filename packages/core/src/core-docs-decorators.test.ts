// Runs the examples of docs/core.md "Decorators" and "System events" as written and checks what
// they print. The decorators block is written to a file named *decorators*.test.ts, so Vitest
// lowers its `@` syntax with the same Babel plugin an app uses (vite.config.ts).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, vi } from 'vitest'

const here = path.dirname(fileURLToPath(import.meta.url))
const doc = readFileSync(path.join(here, '..', '..', '..', 'docs', 'core.md'), 'utf8')
const entry = path.join(here, 'index.ts')

/** The first ```ts block of the section `heading`. */
function block(heading: string): string {
  const section = doc.split(/^## /m).find((s) => s.startsWith(`${heading}\n`))
  const code = section?.match(/```ts\n([\s\S]*?)```/)?.[1]
  if (code === undefined) throw new Error(`no ts block under "## ${heading}" in docs/core.md`)
  return code
}

async function run(code: string, name: string): Promise<string[]> {
  const dir = path.join(tmpdir(), 'tidings-core-docs')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name}-${Date.now()}.test.ts`)
  writeFileSync(file, code.replaceAll("from '@tidings/core'", `from ${JSON.stringify(entry)}`))
  const lines: string[] = []
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '))
  })
  try {
    await import(/* @vite-ignore */ file)
  } finally {
    spy.mockRestore()
    rmSync(file, { force: true })
  }
  return lines
}

describe('docs/core.md examples', () => {
  it('Decorators', async () => {
    expect(await run(block('Decorators'), 'example-decorators')).toEqual([
      'invoice {"orderId":"o-1","total":42} {"component":"billing"}',
      'attempt 1',
      '1',
    ])
  })

  it('System events', async () => {
    const out = await run(block('System events'), 'example-system-events')
    expect(out).toHaveLength(3)
    expect(out[0]).toMatch(/^\$tidings\.bus\.started \{"name":"app","origin":"[^"]+","version":"0\.1\.0"\}$/)
    expect(out.slice(1)).toEqual(['overflow 3', '$tidings.bus.shutdown {"reason":"logout","graceful":true,"drained":0,"dropped":0}'])
  })
})
