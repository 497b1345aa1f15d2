// Patterns whose only wildcards are '*' and '**' compile here, to one RegExp, without picomatch:
// an app that never writes '?', '[...]' or '{...}' then never bundles it (about 9 KB min+gzip).
// The semantics are picomatch's for the same pattern (posix, dot: true); pattern.test.ts checks
// that property against picomatch itself.

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|]/g

/** Escapes a literal run of a topic segment for use inside a RegExp. */
function escapeLiteral(s: string): string {
  return s.replace(REGEX_SPECIAL, '\\$&')
}

/**
 * Compiles a validated pattern made of literal, `*` and `**` parts into a RegExp that tests topics
 * in path form (segments joined by `/`, see `toPath`). `**` is a whole segment (assertPattern
 * enforces it) and matches zero or more segments; `*` matches any run of characters inside one
 * segment, including none.
 */
export function compileStarGlob(pattern: string): RegExp {
  const segments: string[] = []
  // Consecutive '**' segments mean the same as one.
  for (const s of pattern.split('.')) if (!(s === '**' && segments[segments.length - 1] === '**')) segments.push(s)
  if (segments.length === 1 && segments[0] === '**') return /^.+$/
  let re = '^'
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!
    if (s === '**') {
      // Leading: zero or more 'segment/' before the rest; elsewhere: zero or more '/segment' after.
      re += i === 0 ? '(?:[^/]+/)*' : '(?:/[^/]+)*'
      continue
    }
    if (i > 0 && !(i === 1 && segments[0] === '**')) re += '/'
    re += s.split('*').map(escapeLiteral).join('[^/]*')
  }
  return new RegExp(re + '$')
}
