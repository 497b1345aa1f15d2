// Entry point '@tidings/core/globs': importing it once turns on '?', '[abc]', '[^abc]', '[!abc]'
// and '{a,b}' in patterns everywhere in the app. It is kept apart so that apps using only exact
// topics, '*' and '**' do not bundle picomatch. The package lists this file under "sideEffects",
// so bundlers keep the bare import.
import picomatch from 'picomatch/posix.js'
import { setExtendedGlobCompiler } from './glob-support.js'

/**
 * picomatch configured for Tidings patterns, in path form ('.' mapped to '/'). posix mode makes
 * '[!abc]' negate like '[^abc]'; dot: true lets '*' match any segment text. Parentheses and '|' are
 * escaped and extglobs and leading-'!' negation turned off: in a topic, '(' ')' '!' '+' '@' are ordinary characters.
 */
export function compileExtendedGlob(path: string): RegExp {
  return picomatch.makeRe(path.replace(/[()|]/g, '\\$&'), { posix: true, dot: true, noextglob: true, nonegate: true })
}

setExtendedGlobCompiler(compileExtendedGlob)
