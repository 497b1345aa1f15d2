// Where '?', '[...]' and '{...}' patterns get their RegExp. picomatch compiles them, but only once
// an app imports '@tidings/core/globs', which registers it here; until then such a pattern is
// refused where it is given, with an error that names the import to add.
import { GlobsNotLoadedError } from './errors.js'
import { compileStarGlob } from './star-glob.js'

/** Turns a pattern in path form ('.' mapped to '/') into a RegExp over topics in path form. */
export type GlobCompiler = (path: string) => RegExp

let extended: GlobCompiler | undefined

const EXTENDED_CHARS = /[?[\]{}]/

/** True when the pattern uses '?', a character class or a brace group. */
export function usesExtendedGlob(pattern: string): boolean {
  return EXTENDED_CHARS.test(pattern)
}

/** Installs (or, with undefined, removes) the compiler for extended globs. Returns the previous one. */
export function setExtendedGlobCompiler(compiler: GlobCompiler | undefined): GlobCompiler | undefined {
  const previous = extended
  extended = compiler
  return previous
}

/** Throws GlobsNotLoadedError when `pattern` needs extended globs and none are loaded. */
export function checkGlobSupport(pattern: string): void {
  if (extended === undefined && usesExtendedGlob(pattern)) throw new GlobsNotLoadedError(pattern)
}

/** The RegExp for a validated pattern that is not an exact topic. */
export function compileGlob(pattern: string, path: string): RegExp {
  if (!usesExtendedGlob(pattern)) return compileStarGlob(pattern)
  if (extended === undefined) throw new GlobsNotLoadedError(pattern)
  return extended(path)
}
