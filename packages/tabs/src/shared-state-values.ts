// Without a key, shared-state values travel by structured clone (BroadcastChannel.postMessage),
// which says only "could not be cloned". When it refuses a value, this finds the smallest part it
// refuses and names its path the way the encoding does (`sharedState("k").value.byId.get("u1")`),
// so set() throws one typed error, UnencodableValueError, with or without a key.
import { describeError, encode, UnencodableValueError } from '@tidings/core/bridge'

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/

function clones(v: unknown): boolean {
  try {
    structuredClone(v)
    return true
  } catch {
    return false
  }
}

/** The parts of `v` structured clone copies one by one, each with its path segment. */
function parts(v: object): [string, unknown][] {
  const out: [string, unknown][] = []
  if (v instanceof Map) {
    let i = 0
    for (const [k, x] of v) {
      out.push([`.keys()[${i}]`, k])
      const key = typeof k === 'string' ? JSON.stringify(k) : typeof k === 'bigint' ? `${k}n` : typeof k === 'object' && k !== null ? undefined : String(k)
      out.push([key === undefined ? `.values()[${i}]` : `.get(${key})`, x])
      i++
    }
  } else if (v instanceof Set) {
    let i = 0
    for (const x of v) out.push([`.values()[${i++}]`, x])
  } else {
    const array = Array.isArray(v)
    for (const k of Object.keys(v)) out.push([array && /^\d+$/.test(k) ? `[${k}]` : IDENTIFIER.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`, (v as Record<string, unknown>)[k]])
  }
  return out
}

/**
 * The error to throw for `value`, which structured clone refused with `cause`: an
 * UnencodableValueError naming the smallest part it refuses, from `root`.
 */
export function uncloneable(value: unknown, root: string, cause: unknown): UnencodableValueError {
  const seen = new Set<unknown>([value])
  let path = root
  let bad = value
  try {
    descend: for (;;) {
      if (typeof bad !== 'object' || bad === null) break
      for (const [segment, part] of parts(bad)) {
        if (seen.has(part) || clones(part)) continue
        seen.add(part)
        path += segment
        bad = part
        continue descend
      }
      break
    }
  } catch {
    // A part could not be read (a throwing getter): the walk below names it.
  }
  // The encoding's walk applies structured clone's rules: it says what the part is and what to do.
  try {
    encode(bad, path)
  } catch (err) {
    if (err instanceof UnencodableValueError) return err
  }
  return new UnencodableValueError(path, 'uncloneable', `could not be structured-cloned (${describeError(cause)}): leave it out, or set plain data that describes it`)
}
