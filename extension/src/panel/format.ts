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
