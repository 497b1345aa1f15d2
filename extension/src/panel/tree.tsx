// Collapsible data tree: objects and arrays fold, leaves show typed values.
import { useState } from 'preact/hooks'

// Values decoded from the page's exact copy keep their types (Map, Set, Date, BigInt...); each is
// shown as what it is.

/** A leaf's text, or undefined for a value that folds (objects, arrays, Maps, Sets). */
function leafText(value: unknown): string | undefined {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'bigint':
      return `${value}n`
    case 'object':
      break
    default:
      return Object.is(value, -0) ? '-0' : String(value)
  }
  if (value instanceof Date) return `Date ${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()}`
  if (value instanceof RegExp) return String(value)
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length}) [${Array.from(value as unknown as ArrayLike<unknown>).slice(0, 16).join(', ')}]`
  if (value instanceof ArrayBuffer || value instanceof DataView) return `${value.constructor.name}(${value.byteLength} bytes)`
  if (value instanceof Error) return `${value.name}: ${value.message}`
  return undefined
}

function foldEntries(value: object): { entries: [string, unknown][]; summary: string } {
  if (value instanceof Map) return { entries: [...value].map(([k, v], i) => [typeof k === 'string' ? k : `<key ${i}: ${leafText(k) ?? typeof k}>`, v]), summary: `Map(${value.size})` }
  if (value instanceof Set) return { entries: [...value].map((v, i) => [String(i), v]), summary: `Set(${value.size})` }
  if (Array.isArray(value)) return { entries: Object.keys(value).map((k) => [k, (value as unknown[])[Number(k)]]), summary: `Array(${value.length})` }
  const entries = Object.entries(value)
  return { entries, summary: `{${entries.length}}` }
}

/** `openDepth`: levels unfolded at first (2 by default). */
export function DataTree({ value, name, depth = 0, openDepth = 2 }: { value: unknown; name?: string; depth?: number; openDepth?: number }) {
  const [open, setOpen] = useState(depth < openDepth)
  const label = name === undefined ? null : <span class="tree-key">{name}: </span>
  const text = leafText(value)
  if (text !== undefined) {
    return (
      <div class="tree-leaf" style={{ paddingLeft: `${depth * 12}px` }}>
        {label}
        <span class={`tree-${value === null ? 'null' : typeof value}`}>{text}</span>
      </div>
    )
  }
  // Depth-limited: the exact copy may hold cycles.
  if (depth > 12) return <div class="tree-leaf" style={{ paddingLeft: `${depth * 12}px` }}>{label}…</div>
  const { entries, summary } = foldEntries(value as object)
  return (
    <div class="tree-node">
      <div class="tree-toggle" style={{ paddingLeft: `${depth * 12}px` }} onClick={() => setOpen(!open)} role="button" aria-expanded={open}>
        <span class="tree-caret">{open ? '▾' : '▸'}</span>
        {label}
        <span class="tree-summary">{summary}</span>
      </div>
      {open && entries.map(([k, v]) => <DataTree key={k} name={k} value={v} depth={depth + 1} openDepth={openDepth} />)}
    </div>
  )
}
