// ofType(pattern): keeps the events whose topic matches a glob pattern (or any of several), with
// the bus's pattern semantics. Works on any Observable of envelopes, not only bus.on().
import { filter, type MonoTypeOperatorFunction } from 'rxjs'
import { compilePatterns } from '../pattern.js'
import type { Patterns } from '../types.js'

export function ofType<E extends { type: string }>(pattern: Patterns): MonoTypeOperatorFunction<E> {
  // Compiled once here, so a bad pattern throws InvalidTopicError when the pipe is built.
  const matches = compilePatterns(pattern)
  return filter((e: E) => matches(e.type))
}
