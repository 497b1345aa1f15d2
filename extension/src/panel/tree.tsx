// Collapsible data tree: objects and arrays fold, leaves show typed values.
import { useState } from 'preact/hooks'

export function DataTree({ value, name, depth = 0 }: { value: unknown; name?: string; depth?: number }) {
  const [open, setOpen] = useState(depth < 2)
  const label = name === undefined ? null : <span class="tree-key">{name}: </span>
  if (value === null || typeof value !== 'object') {
    return (
      <div class="tree-leaf" style={{ paddingLeft: `${depth * 12}px` }}>
        {label}
        <span class={`tree-${value === null ? 'null' : typeof value}`}>{typeof value === 'string' ? JSON.stringify(value) : String(value)}</span>
      </div>
    )
  }
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value)
  const summary = Array.isArray(value) ? `Array(${value.length})` : `{${entries.length}}`
  return (
    <div class="tree-node">
      <div class="tree-toggle" style={{ paddingLeft: `${depth * 12}px` }} onClick={() => setOpen(!open)} role="button" aria-expanded={open}>
        <span class="tree-caret">{open ? '▾' : '▸'}</span>
        {label}
        <span class="tree-summary">{summary}</span>
      </div>
      {open && entries.map(([k, v]) => <DataTree key={k} name={k} value={v} depth={depth + 1} />)}
    </div>
  )
}
