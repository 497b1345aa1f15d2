// Compiles a `where` clause (`{ 'data.amount': ['>=', 500] }`, docs/history.md) into one
// predicate, validating paths and operators up front so a typo fails at the call, not silently.
import { InvalidHistoryInputError, ReadFailure } from './errors.js'
import type { Where, WhereOperator } from './types.js'

const OPS: readonly string[] = ['=', '==', '!=', '>', '>=', '<', '<=', 'in', 'not-in', 'contains', 'starts-with', 'exists'] satisfies WhereOperator[]

export type Predicate = (event: object) => boolean
/** Told about an event a condition could not read (a getter threw); the event does not match. */
export type OnUnreadable = (event: object, failure: ReadFailure) => void

export function compileWhere(where: Where | undefined, onUnreadable?: OnUnreadable): Predicate | undefined {
  if (where === undefined) return undefined
  if (typeof where !== 'object' || where === null || Array.isArray(where))
    throw new InvalidHistoryInputError('query.where', where, "must be an object like { 'data.amount': ['>=', 500] }")
  const tests = Object.entries(where).map(([path, cond]): Predicate => {
    const segs = path.split('.')
    if (path.length === 0 || segs.some((s) => s.length === 0))
      throw new InvalidHistoryInputError('query.where', path, "keys are dot paths into the event, e.g. 'data.amount'")
    const [op, operand] = Array.isArray(cond) ? (cond as readonly [unknown, unknown]) : ['=', cond]
    if (typeof op !== 'string' || !OPS.includes(op)) throw new InvalidHistoryInputError(`query.where['${path}']`, cond, `operator must be one of ${OPS.join(' ')}`)
    const test = compileOne(op as WhereOperator, operand, (rule) => new InvalidHistoryInputError(`query.where['${path}']`, [op, operand], rule))
    return (e) => {
      try {
        return test(get(e, segs))
      } catch (err) {
        onUnreadable?.(e, new ReadFailure(path, err))
        return false
      }
    }
  })
  return tests.length === 1 ? tests[0] : (e) => tests.every((t) => t(e))
}

function get(obj: unknown, segs: readonly string[]): unknown {
  let v = obj
  for (const s of segs) {
    if (typeof v !== 'object' || v === null) return undefined
    v = (v as Record<string, unknown>)[s]
  }
  return v
}

/** The test of one field's value. */
function compileOne(op: WhereOperator, operand: unknown, bad: (rule: string) => Error): (v: unknown) => boolean {
  switch (op) {
    case '=':
    case '==':
      return (v) => v === operand
    case '!=':
      return (v) => v !== operand
    case 'in':
    case 'not-in': {
      if (!Array.isArray(operand)) throw bad(`${op} needs an array operand`)
      const set = new Set<unknown>(operand)
      return (v) => set.has(v) === (op === 'in')
    }
    case 'contains':
      return (v) => (typeof v === 'string' ? typeof operand === 'string' && v.includes(operand) : Array.isArray(v) && v.includes(operand))
    case 'starts-with': {
      const prefix = operand
      if (typeof prefix !== 'string') throw bad('starts-with needs a string operand')
      return (v) => typeof v === 'string' && v.startsWith(prefix)
    }
    case 'exists':
      if (typeof operand !== 'boolean') throw bad('exists needs true or false')
      return (v) => (v !== undefined) === operand
    default: {
      // > >= < <=: numbers or strings; mixed types never match (no coercion: '1000' is not >= 500).
      const b = operand as number
      if (typeof b !== 'number' && typeof b !== 'string') throw bad(`${op} needs a number or a string operand`)
      return (v) => typeof v === typeof b && (op === '>' ? (v as number) > b : op === '>=' ? (v as number) >= b : op === '<' ? (v as number) < b : (v as number) <= b)
    }
  }
}
