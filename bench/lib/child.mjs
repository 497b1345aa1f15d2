// One benchmark process: imports a built Node benchmark module and measures one library for one
// round (or runs the module's default export when the library is "-"), then prints one result line.
// A fresh process per library keeps one library's JIT state and heap from skewing another's.
import { pathToFileURL } from 'node:url'
import { RESULT_MARK } from './protocol.mjs'

const [file, library, round = '0', group = ''] = process.argv.slice(2)
let outcome
try {
  const mod = await import(pathToFileURL(file).href)
  const result = library === '-' ? await mod.default() : await mod.measure(library, Number(round), group)
  outcome = { ok: true, result }
} catch (e) {
  outcome = { ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }
}
process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(outcome)}\n`, () => process.exit(0))
