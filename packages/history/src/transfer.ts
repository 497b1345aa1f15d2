// Export and import. Each event is written with the project's one type-preserving encoding
// (encode/decode from @tidings/core/bridge, docs/encoding.md), so what was stored comes back as it
// was: Date, Map, Set, RegExp, typed arrays, BigInt, NaN, ±Infinity, -0, undefined, holes, cycles.
// The formats are containers: 'jsonl' is one encoded envelope per line, 'json' a JSON array of
// encoded envelopes (strings). A value the encoding cannot carry (a Blob, a File, a CryptoKey:
// IndexedDB stores them, text cannot) refuses the whole export, listing every such event and path.
//
// Imports are untrusted: every record is decoded and goes through core's checkEnvelope; bad ones
// are reported with their position and reason, good ones are stored. The format before (plain
// JSON objects, one per line or in an array) is still read, and counted as `legacy`.
import { checkEnvelope, type TidingsEvent } from '@tidings/core'
import { decode, describeError, encode, OPTIONAL_ENVELOPE_FIELDS, type UnencodableValueError } from '@tidings/core/bridge'
import { atEnvelope, HistoryDataError, HistoryExportError, InvalidHistoryInputError } from './errors.js'
import type { ImportReport } from './types.js'

/** The export text; an event the encoding cannot carry is reported (`report`), and then the
 *  whole export refused with the list. */
export function serialize(events: readonly TidingsEvent[], format: 'jsonl' | 'json', report: (e: HistoryDataError) => void = () => {}): string {
  const lines: string[] = []
  const refused: HistoryDataError[] = []
  for (const e of events) {
    try {
      lines.push(encode(e, 'event'))
    } catch (err) {
      // Its path and message start at the envelope ('event.data.file').
      const { path, message } = err as UnencodableValueError
      const refusal = new HistoryDataError(e, atEnvelope(path), `cannot be exported: ${atEnvelope(message)}`, { cause: err })
      report(refusal)
      refused.push(refusal)
    }
  }
  if (refused.length > 0) throw new HistoryExportError(refused)
  return format === 'json' ? JSON.stringify(lines) : lines.map((l) => l + '\n').join('')
}

export function checkFormat(format: unknown): 'jsonl' | 'json' {
  const f = format ?? 'json'
  if (f !== 'json' && f !== 'jsonl') throw new InvalidHistoryInputError('export format', format, "must be 'json' (one array) or 'jsonl' (one event per line)")
  return f
}

export interface Parsed {
  /** Valid events, with their position in the input. */
  events: Array<{ index: number; event: TidingsEvent }>
  rejected: ImportReport['rejected']
  /** Records in the format before the encoding (plain JSON objects in text). */
  legacy: number
}

/** Parses an export (either format, this one or the one before) or an array, and validates each
 *  record. A string record is an encoded envelope; an object in text is the old plain-JSON form. */
export function parseImport(input: string | readonly unknown[]): Parsed {
  const out: Parsed = { events: [], rejected: [], legacy: 0 }
  /** `get()`: a record, an encoded envelope (a string) or an event object; `text`: from text (so
   *  an object is the old format). Anything that throws (malformed text, an object whose fields
   *  throw when read) rejects that record alone. */
  const take = (get: () => unknown, index: number, text?: boolean) => {
    let reason: string
    try {
      const x = get()
      const check = checkEnvelope(typeof x === 'string' ? decode(x, `record ${index}`) : x)
      if (check.ok) {
        out.events.push({ index, event: pickEnvelope(check.event) })
        if (text && typeof x !== 'string') out.legacy++
        return
      }
      reason = check.reason
    } catch (err) {
      reason = describeError(err)
    }
    out.rejected.push({ index, reason })
  }
  if (Array.isArray(input)) input.forEach((x, i) => take(() => x, i))
  else if (typeof input !== 'string')
    throw new InvalidHistoryInputError('import input', input, 'must be a string made by export() (JSON or JSON lines) or an array of events')
  else {
    const text = input.trim()
    let doc: unknown
    if (text.startsWith('[')) {
      try {
        doc = JSON.parse(text)
      } catch (e) {
        // Several lines of JSON lines fail as one document; one line that fails is not JSON.
        if (!text.includes('\n'))
          throw new InvalidHistoryInputError('import input', text.slice(0, 40), `is not valid JSON (${(e as Error).message}); pass what export() made`)
      }
    }
    // A JSON array of records; a single encoded line also parses as an array (of arrays).
    if (Array.isArray(doc) && !Array.isArray(doc[0])) doc.forEach((x, i) => take(() => x, i, true))
    else
      input.split('\n').forEach((line, i) => {
        const l = line.trim()
        // An encoded envelope is a JSON array; a line of the old format a JSON object.
        if (l) take(() => (l[0] === '[' ? l : JSON.parse(l)), i, true)
      })
  }
  return out
}

// The required envelope fields, then the optional ones as core's codec lists them (one list for
// every boundary).
const FIELDS = ['id', 'type', 'timestamp', 'version', 'data', 'origin', 'seq', ...OPTIONAL_ENVELOPE_FIELDS] as const

/** Only envelope fields: an import must not smuggle other properties (say, expiresAt) into storage. */
function pickEnvelope(e: TidingsEvent): TidingsEvent {
  const out: Record<string, unknown> = {}
  for (const f of FIELDS) if (e[f] !== undefined || f === 'data') out[f] = e[f]
  return out as unknown as TidingsEvent
}
