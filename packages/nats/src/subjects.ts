// Topics to NATS subjects and patterns to subject filters.
//
// A topic `a.b.c` travels on `<prefix>.a.b.c`. NATS takes `*` and `>` inside a published subject
// as literal tokens, but a subscriber's `*`/`>` would then match them as wildcards on the way
// back, and a few characters mean nothing good in a subject (whitespace, control characters), so
// every segment is escaped reversibly: `%` and those characters become `%XX`. Our topics never
// hold `*`, so in practice only `%`, `>` and control characters are ever escaped.
//
// A pattern maps to the cheapest subject filters that cover it; the bridge still checks every
// received type against the patterns themselves (ingestBatch's `accepts`), so a broader filter
// only costs traffic, never correctness:
// - literal segments stay literal, `*` stays `*`;
// - a trailing `**` becomes `>` plus the bare prefix (`**` also matches zero segments);
// - anything else (`exec*`, `?`, `[a-z]`, `{a,b}`, a `**` in the middle) ends the filter with `>`.

/** Whether `c` (a char code) must be escaped inside a subject token. */
function mustEscape(c: number): boolean {
  return c <= 0x20 || c === 0x7f || c === 0x25 /* % */ || c === 0x3e /* > */ || c === 0x2a /* * */
}

/** One topic segment as a subject token (reversible, see unescapeToken). */
export function escapeToken(segment: string): string {
  let out = ''
  let from = 0
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i)
    if (!mustEscape(c)) continue
    out += segment.slice(from, i) + '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase()
    from = i + 1
  }
  return from === 0 ? segment : out + segment.slice(from)
}

export function unescapeToken(token: string): string {
  return token.indexOf('%') < 0 ? token : token.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
}

/** Escapes a whole topic, segment by segment. Fast path: nothing to escape (the usual case). */
export function escapeTopic(topic: string): string {
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i)
    if (c !== 0x2e && mustEscape(c)) return topic.split('.').map(escapeToken).join('.')
  }
  return topic
}

/** The subject an event of `type` is published on. */
export function subjectFor(prefix: string, type: string): string {
  return prefix + '.' + escapeTopic(type)
}

/** The topic a subject under `prefix` carries, or undefined when it is not under it. */
export function topicOf(prefix: string, subject: string): string | undefined {
  if (!subject.startsWith(prefix + '.')) return undefined
  const rest = subject.slice(prefix.length + 1)
  return rest.indexOf('%') < 0 ? rest : rest.split('.').map(unescapeToken).join('.')
}

const SPECIAL = /[*?[\]{}]/

/** The subject filters that together cover `pattern` under `prefix` (see the file comment). */
export function filtersFor(prefix: string, pattern: string): string[] {
  // Braces may hold dots ({a,tool.sub}): split only the part before the first brace.
  const brace = pattern.indexOf('{')
  const head = brace < 0 ? pattern : pattern.slice(0, brace)
  const segments = head.split('.')
  const out: string[] = [prefix]
  const broader = () => [out.join('.') + '.>']
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    const last = i === segments.length - 1
    // The last segment before a brace is cut by it: broader from here on.
    if (brace >= 0 && last) return broader()
    if (seg === '**') {
      if (!last) return broader()
      return i === 0 ? broader() : [out.join('.') + '.>', out.join('.')]
    }
    if (seg === '*') out.push('*')
    else if (SPECIAL.test(seg)) return broader()
    else out.push(escapeToken(seg))
  }
  return [out.join('.')]
}

/** The filters for several patterns, without duplicates or filters another one covers. */
export function coveringFilters(prefix: string, patterns: readonly string[]): string[] {
  const all = new Set<string>()
  for (const p of patterns) for (const f of filtersFor(prefix, p)) all.add(f)
  const list = [...all]
  return list.filter((f) => !list.some((g) => g !== f && covers(g, f)))
}

/** Whether filter `a` matches every subject filter `b` matches. */
export function covers(a: string, b: string): boolean {
  const at = a.split('.')
  const bt = b.split('.')
  for (let i = 0; i < at.length; i++) {
    const x = at[i]!
    if (x === '>') return bt.length > i
    const y = bt[i]
    if (y === undefined) return false
    if (x === '*') {
      if (y === '>') return false
      continue
    }
    if (x !== y) return false
  }
  return at.length === bt.length
}
