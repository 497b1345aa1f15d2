// BenchTable -> markdown, and a shape check for tables that come from other processes or pages.

function cell(value) {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'n/a'
    return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 2 })
  }
  return String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ')
}

/** Returns what is wrong with `t` as a BenchTable, or undefined when it is one. */
export function tableProblem(t) {
  if (typeof t !== 'object' || t === null) return 'not an object'
  if (typeof t.title !== 'string') return 'title is not a string'
  if (!Array.isArray(t.columns) || !t.columns.every((c) => typeof c === 'string')) return 'columns is not a string[]'
  if (!Array.isArray(t.rows) || !t.rows.every((r) => Array.isArray(r))) return 'rows is not an array of arrays'
  if (t.notes !== undefined && (!Array.isArray(t.notes) || !t.notes.every((n) => typeof n === 'string'))) {
    return 'notes is not a string[]'
  }
  if (typeof t.ok !== 'boolean') return 'ok is not a boolean'
  return undefined
}

export function tableToMarkdown(t, source) {
  const lines = [`### ${t.title}`, '']
  if (source) lines.push(`_${source}_`, '')
  lines.push(`| ${t.columns.map(cell).join(' | ')} |`)
  lines.push(`|${t.columns.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`)
  for (const row of t.rows) lines.push(`| ${row.map(cell).join(' | ')} |`)
  lines.push('')
  for (const note of t.notes ?? []) lines.push(`- ${note}`)
  if (!t.ok) lines.push(`- **FAILED: the benchmark's own verification (counts/order) did not pass.**`)
  if ((t.notes ?? []).length > 0 || !t.ok) lines.push('')
  return lines.join('\n')
}

export function errorToMarkdown(title, source, error) {
  return [`### ${title}`, '', `_${source}_`, '', '**FAILED**:', '', '```', String(error).trim(), '```', ''].join('\n')
}
