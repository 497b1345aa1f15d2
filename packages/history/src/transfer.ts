// Export and import. Imports are untrusted: every record goes through core's checkEnvelope; bad
// ones are reported with their position and reason, good ones are stored.
import { checkEnvelope, type TidingsEvent } from '@tidings/core'
import { InvalidHistoryInputError } from './errors.js'
import type { ImportReport } from './types.js'

export function serialize(events: readonly TidingsEvent[], format: 'jsonl' | 'json'): string {
  return format === 'json' ? JSON.stringify(events) : events.map((e) => JSON.stringify(e) + '\n').join('')
}

export function checkFormat(format: unknown): 'jsonl' | 'json' {
  const f = format ?? 'json'
  if (f !== 'json' && f !== 'jsonl') throw new InvalidHistoryInputError('export format', format, "must be 'json' (one array) or 'jsonl' (one event per line)")
  return f
}

/** Parses JSON (an array) or JSON lines and validates each record. */
export function parseImport(input: string | readonly unknown[]): { events: TidingsEvent[]; rejected: ImportReport['rejected'] } {
  const rejected: ImportReport['rejected'] = []
  const events: TidingsEvent[] = []
  const take = (x: unknown, index: number) => {
    const check = checkEnvelope(x)
    if (check.ok) events.push(pickEnvelope(check.event))
    else rejected.push({ index, reason: check.reason })
  }
  if (Array.isArray(input)) input.forEach(take)
  else if (typeof input !== 'string')
    throw new InvalidHistoryInputError('import input', input, 'must be a JSON string (array or JSON lines) or an array of events')
  else if (input.trim().startsWith('[')) {
    const text = input.trim()
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (e) {
      throw new InvalidHistoryInputError('import input', text.slice(0, 40), `is not valid JSON (${(e as Error).message}); pass a JSON array or JSON lines`)
    }
    ;(parsed as unknown[]).forEach(take)
  } else
    input.split('\n').forEach((line, i) => {
      if (line.trim() === '') return
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch (e) {
        rejected.push({ index: i, reason: `line is not valid JSON: ${(e as Error).message}` })
        return
      }
      take(parsed, i)
    })
  return { events, rejected }
}

const FIELDS = ['id', 'type', 'timestamp', 'version', 'data', 'origin', 'seq', 'source', 'correlationId', 'causationId', 'metadata', 'priority', 'persistent', 'ttlMs'] as const

/** Only envelope fields: an import must not smuggle other properties (say, expiresAt) into storage. */
function pickEnvelope(e: TidingsEvent): TidingsEvent {
  const out: Record<string, unknown> = {}
  for (const f of FIELDS) if (e[f] !== undefined || f === 'data') out[f] = e[f]
  return out as unknown as TidingsEvent
}
