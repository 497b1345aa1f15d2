const p = (n: number, w = 2) => String(n).padStart(w, '0')

export function time(at: number): string {
  const d = new Date(at)
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
}

export function preview(v: unknown, max = 120): string {
  let s: string
  try {
    s = JSON.stringify(v) ?? 'undefined'
  } catch {
    s = String(v)
  }
  return s.length > max ? `${s.slice(0, max)}…` : s
}

export function shortOrigin(origin: string): string {
  return origin.length > 14 ? `${origin.slice(0, 13)}…` : origin
}

export function ms(n: number): string {
  return n < 1 ? `${(n * 1000).toFixed(0)} µs` : `${n.toFixed(n < 10 ? 2 : 0)} ms`
}

/** "now", "850 ms ago", "12.4 s ago", "3 min ago", "2 h ago", "in 2.0 s" (a clock ahead). */
export function relative(at: number, now = Date.now()): string {
  const d = now - at
  const abs = Math.abs(d)
  const text = abs < 1000 ? `${Math.round(abs)} ms` : abs < 60_000 ? `${(abs / 1000).toFixed(1)} s` : abs < 3_600_000 ? `${Math.floor(abs / 60_000)} min` : abs < 86_400_000 ? `${Math.floor(abs / 3_600_000)} h` : `${Math.floor(abs / 86_400_000)} d`
  if (abs < 1) return 'now'
  return d >= 0 ? `${text} ago` : `in ${text}`
}

/** ISO 8601 in UTC, or the number itself when it is not a valid time. */
export function iso(at: number): string {
  const d = new Date(at)
  return Number.isNaN(d.getTime()) ? String(at) : d.toISOString()
}
