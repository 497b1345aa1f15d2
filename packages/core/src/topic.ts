// Topic and pattern rules (docs/core.md "Topics and patterns"). Topics are validated once per unique
// topic (the route cache remembers valid ones), so these loops are off the hot path.
import { InvalidTopicError } from './errors.js'

export const MAX_TOPIC_LENGTH = 255
/** The characters that make a pattern a glob (the first one found, with exec()). */
const WILDCARD = /[*?[\]{}]/

/** `$`-prefixed topics are system topics: wildcards match them only from a `$` pattern. */
export function isSystemTopic(topic: string): boolean {
  return topic.charCodeAt(0) === 36 /* $ */
}

function checkCommon(input: unknown, kind: 'topic' | 'pattern'): string {
  if (typeof input !== 'string') throw new InvalidTopicError(input, `must be a string, got ${typeof input}`, kind)
  if (input.length === 0) throw new InvalidTopicError(input, 'must not be empty', kind)
  if (input.length > MAX_TOPIC_LENGTH)
    throw new InvalidTopicError(input, `must be at most ${MAX_TOPIC_LENGTH} characters (got ${input.length})`, kind)
  if (/\s/.test(input)) throw new InvalidTopicError(input, 'must not contain whitespace', kind)
  if (input.includes('/') || input.includes('\\'))
    throw new InvalidTopicError(input, "must not contain '/' or '\\' (segments are separated by '.')", kind)
  if (input.startsWith('.')) throw new InvalidTopicError(input, "must not start with '.'", kind)
  if (input.endsWith('.')) throw new InvalidTopicError(input, "must not end with '.' (trailing dot)", kind)
  if (input.includes('..')) throw new InvalidTopicError(input, "must not contain an empty segment ('..')", kind)
  return input
}

// What an ASCII character is in a published topic.
const PLAIN = 0
const DOT = 1
/** Space and controls, '*' '/' '?' '[' '\\' ']' '{' '}'. */
const BAD = 2

/** The kind of each ASCII code: one load instead of nine compares per character. */
const ASCII_TOPIC_CHAR: Uint8Array = new Uint8Array(128).map((_, c) =>
  c === 46 ? DOT : c <= 32 || '*/?[\\]{}'.includes(String.fromCharCode(c)) ? BAD : PLAIN,
)

// Map keys that fit a small integer (31-bit Smi) are hashed without boxing a heap number.
export const SEGMENT_HASH_MASK = 0x3fffffff

/** A published topic checked and split into segments in one pass over its char codes, without
 *  allocating: `ends[i]` is where segment i ends (its '.' or the topic's length), `hashes[i]` its
 *  segmentHash. Reused across publishes. The route index scans every topic it has not cached;
 *  assertTopic() uses a scan too and re-checks a failure only to say which rule broke. */
export class TopicScan {
  readonly ends = new Int32Array((MAX_TOPIC_LENGTH >> 1) + 1)
  readonly hashes = new Int32Array((MAX_TOPIC_LENGTH >> 1) + 1)
  count = 0

  /** Scans a published topic; false when it breaks a topic rule (assertTopic says which). */
  scan(topic: string): boolean {
    const n = topic.length
    if (n === 0 || n > MAX_TOPIC_LENGTH) return false
    const ends = this.ends
    const hashes = this.hashes
    let count = 0
    let h = 0
    let segStart = 0
    /** Some character is not ASCII: the whole topic is then checked once for Unicode spaces. */
    let wide = false
    for (let i = 0; i < n; i++) {
      const c = topic.charCodeAt(i)
      if (c < 128) {
        const kind = ASCII_TOPIC_CHAR[c]
        if (kind === PLAIN) {
          h = (Math.imul(h, 31) + c) | 0
          continue
        }
        if (kind === BAD || i === segStart) return false // a forbidden character, a leading dot or '..'
        ends[count] = i
        hashes[count++] = h & SEGMENT_HASH_MASK
        h = 0
        segStart = i + 1
        continue
      }
      wide = true
      h = (Math.imul(h, 31) + c) | 0
    }
    // A trailing dot, or whitespace beyond ASCII (what `\s` matches).
    if (segStart === n || (wide && /\s/.test(topic))) return false
    ends[count] = n
    hashes[count++] = h & SEGMENT_HASH_MASK
    this.count = count
    return true
  }
}

const check = new TopicScan()

/** Throws InvalidTopicError unless `topic` is a publishable topic (no wildcards). */
export function assertTopic(topic: unknown): asserts topic is string {
  if (typeof topic === 'string' && check.scan(topic)) return
  const t = checkCommon(topic, 'topic')
  const wild = WILDCARD.exec(t)
  if (wild) throw new InvalidTopicError(t, `wildcard character '${wild[0]}' is not allowed in a published topic (only in subscription patterns)`)
}

export function isValidTopic(topic: unknown): topic is string {
  try {
    assertTopic(topic)
    return true
  } catch {
    return false
  }
}

export function hasWildcard(pattern: string): boolean {
  return WILDCARD.test(pattern)
}

/** A valid pattern whose segments are literal (topic characters), '*' or '**'. */
const STAR_PATTERN = /^(?:\*\*?|[^*?[\]{}\s/\\.]+)(?:\.(?:\*\*?|[^*?[\]{}\s/\\.]+))*$/

/** Throws InvalidTopicError unless `pattern` is a valid subscription pattern. */
export function assertPattern(pattern: unknown): asserts pattern is string {
  // Most patterns are plain topics or use only whole-segment '*' and '**': one pass, no regex
  // (registering 100k subscriptions is a target).
  if (typeof pattern === 'string' && (check.scan(pattern) || (pattern.length <= MAX_TOPIC_LENGTH && STAR_PATTERN.test(pattern)))) return
  const p = checkCommon(pattern, 'pattern')
  let braces = 0
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === '[') {
      const close = p.indexOf(']', i + 2)
      if (close === -1) throw new InvalidTopicError(p, "unbalanced '[': every character class needs a closing ']'", 'pattern')
      if (p.slice(i + 1, close).includes('.'))
        throw new InvalidTopicError(p, "a character class cannot contain '.' (it separates segments)", 'pattern')
      i = close
      continue
    }
    if (c === ']') throw new InvalidTopicError(p, "unbalanced ']': no '[' opens it", 'pattern')
    if (c === '{') braces++
    else if (c === '}') {
      braces--
      if (braces < 0) throw new InvalidTopicError(p, "unbalanced '}': no '{' opens it", 'pattern')
    }
  }
  if (braces !== 0) throw new InvalidTopicError(p, "unbalanced '{': every alternative group needs a closing '}'", 'pattern')
  for (const seg of p.split('.')) {
    if (seg.includes('**') && seg !== '**' && !seg.includes('{'))
      throw new InvalidTopicError(p, `'**' must be a whole segment (got "${seg}"); use '*' inside a segment`, 'pattern')
  }
}
