// Call sites: the V8 stack text the agent captures inside publish() (connectDevtools({ trace: true }))
// parsed into frames, with the agent's and core's own frames left out so the first frame shown
// is the code that published.

export interface Frame {
  /** Function name as V8 printed it ('' for anonymous / top-level code). */
  fn: string
  url: string
  /** 1-based, as printed. */
  line: number
  col: number
  text: string
}

// "    at fn (url:line:col)" or "    at url:line:col" (also "async fn (...)" and "new C (...)")
const FRAME = /^\s*at (?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/

export function parseStack(stack: string): Frame[] {
  const out: Frame[] = []
  for (const raw of stack.split('\n')) {
    const m = FRAME.exec(raw)
    if (!m) continue
    out.push({ fn: m[1] ?? '', url: m[2]!, line: Number(m[3]), col: Number(m[4]), text: raw.trim() })
  }
  return out
}

// Bus methods that publish (public names, kept by every minifier): frames up to the innermost
// of them are inside Tidings. `ctx.publish` (a handler's context) and sharedState's set publish
// through them too.
const PUBLISHERS = /(?:^|\.)(publish|publishAsync|dispatch|request)$/

/** The frames from the caller of bus.publish() on (all frames when that call is not found). */
export function callerFrames(stack: string): { frames: Frame[]; hidden: number } {
  const all = parseStack(stack)
  let i = all.findIndex((f) => PUBLISHERS.test(f.fn))
  if (i < 0) return { frames: all, hidden: 0 }
  // a publish that calls another (ctx.publish -> bus.publish): skip the whole run
  while (i + 1 < all.length && PUBLISHERS.test(all[i + 1]!.fn)) i++
  return { frames: all.slice(i + 1), hidden: i + 1 }
}

/** The file's last path segment, for a short label: `app.ts:12`. */
export function shortUrl(url: string): string {
  try {
    const u = new URL(url)
    return u.pathname.split('/').pop() || u.host
  } catch {
    return url.split('/').pop() ?? url
  }
}
