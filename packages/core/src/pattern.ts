// Glob semantics for dot topics (the pattern table in docs/core.md). Topics are matched in path
// form ('.' mapped to '/'), the form picomatch works on. '*' and '**' patterns compile in
// star-glob.ts; '?', classes and braces need '@tidings/core/globs' (glob-support.ts).
import { checkGlobSupport, compileGlob } from './glob-support.js'
import { assertPattern, hasWildcard, isSystemTopic } from './topic.js'

export interface CompiledPattern {
  readonly source: string
  /** Literal leading segments before the first wildcard segment: the index key. */
  readonly prefix: readonly string[]
  /** True when the pattern has no wildcard at all (routed through the exact-topic map). */
  readonly exact: boolean
  /** Tests a topic already converted with toPath(). */
  testPath(path: string, system: boolean): boolean
}

/** Topic in picomatch's separator form. Done once per routed topic, not once per pattern. */
export function toPath(topic: string): string {
  return topic.replaceAll('.', '/')
}

export function compilePattern(pattern: string): CompiledPattern {
  assertPattern(pattern)
  const segments = pattern.split('.')
  const prefix: string[] = []
  for (const s of segments) {
    // A brace group may hold dots, so once one opens, later segments are not literal either.
    if (hasWildcard(s)) break
    prefix.push(s)
  }
  const exact = !hasWildcard(pattern)
  const systemPattern = isSystemTopic(pattern)
  // Refuse '?', '[...]' or '{...}' here, where the pattern is given, when no glob compiler is
  // loaded: compiling itself waits for the first test.
  if (!exact) checkGlobSupport(pattern)
  if (exact) {
    return { source: pattern, prefix, exact, testPath: (path) => path === toPath(pattern) }
  }
  // Compiling costs ~24 µs per pattern; compile on the first test, since with thousands of
  // patterns most are never tested (the trie only offers those sharing a topic's prefix).
  let re: RegExp | undefined
  return {
    source: pattern,
    prefix,
    exact,
    // MQTT's $SYS rule: wildcards never match system topics unless the pattern starts with '$'.
    testPath: (path, system) => {
      if (system && !systemPattern) return false
      re ??= compileGlob(pattern, toPath(pattern))
      return re.test(path)
    },
  }
}

/** A matcher for a list of patterns, for code outside the bus (bridges, history, filters). */
export function compilePatterns(patterns: string | readonly string[]): (topic: string) => boolean {
  const list = (typeof patterns === 'string' ? [patterns] : patterns).map(compilePattern)
  if (list.length === 0) return () => false
  const exact = new Set(list.filter((p) => p.exact).map((p) => p.source))
  const globs = list.filter((p) => !p.exact)
  return (topic) => {
    if (exact.has(topic)) return true
    if (globs.length === 0) return false
    const path = toPath(topic)
    const system = isSystemTopic(topic)
    for (const g of globs) if (g.testPath(path, system)) return true
    return false
  }
}
