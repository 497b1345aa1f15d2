#!/usr/bin/env node
// Builds the root README.md from the docs that live next to the code: docs/*.md written for the
// root, and each package's README (headings shifted one level, relative links rebased to the
// repo root). Edit the sources, then run `npm run readme`.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const read = (f) => readFileSync(path.join(ROOT, f), 'utf8').trim()

/** Shifts headings down one level and makes relative links/images point from the repo root. */
function embed(file, { dropSections = [] } = {}) {
  const dir = path.posix.dirname(file)
  let text = read(file)
  const lines = text.split('\n')
  const out = []
  let inCode = false
  let skipping = false
  for (const line of lines) {
    if (line.startsWith('```')) inCode = !inCode
    const heading = !inCode && /^(#+) (.*)$/.exec(line)
    if (heading) {
      const level = heading[1].length
      if (level === 2) skipping = dropSections.some((s) => heading[2].startsWith(s))
      if (skipping) continue
      out.push('#' + line)
      continue
    }
    if (skipping) continue
    out.push(inCode ? line : line.replace(/\]\((?!https?:|#|mailto:)([^)\s]+)\)/g, (_, target) => {
      const [p, hash] = target.split('#')
      const rebased = path.posix.normalize(path.posix.join(dir, p))
      return `](${rebased}${hash ? '#' + hash : ''})`
    }))
  }
  return out.join('\n')
}

const parts = [
  read('docs/readme-head.md'),
  embed('demo/README.md', { dropSections: ['Quick start', 'End-to-end', 'Architecture', 'Troubleshooting', 'Notes'] })
    .split('\n')
    .filter((_, i, all) => i >= all.findIndex((l) => l.startsWith('### A 30-line tour')))
    .join('\n')
    .replace('### A 30-line tour of the API', '## A 30-line tour'),
  '## Packages and architecture\n\n' + sectionOf('demo/README.md', 'Architecture'),
  read('docs/readme-libs.md'),
  read('docs/core.md'),
  embed('packages/core/README-delivery.md'),
  embed('packages/history/README.md'),
  embed('packages/tabs/README.md'),
  embed('packages/worker/README.md'),
  embed('packages/devtools/README.md'),
  embed('extension/README.md'),
  '## The demo\n\n' + embed('demo/README.md', { dropSections: ['Quick start', 'A 30-line', 'Architecture', 'Troubleshooting'] })
    .split('\n').slice(1).join('\n').trim(),
  read('docs/readme-benchmarks.md'),
  '## Troubleshooting\n\n' + sectionOf('demo/README.md', 'Troubleshooting'),
  read('docs/readme-tail.md'),
]

/** The body of one `## title` section of a file, links rebased, sub-headings kept. */
function sectionOf(file, title) {
  const text = embed(file)
  const lines = text.split('\n')
  const start = lines.findIndex((l) => l.startsWith(`### ${title}`))
  if (start === -1) throw new Error(`${file}: no section "${title}"`)
  let end = lines.findIndex((l, i) => i > start && /^###? /.test(l) && !l.startsWith('####'))
  if (end === -1) end = lines.length
  return lines.slice(start + 1, end).join('\n').trim()
}

writeFileSync(path.join(ROOT, 'README.md'), parts.join('\n\n') + '\n')
console.log('README.md written')
