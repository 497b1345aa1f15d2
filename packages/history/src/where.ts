// Compiles a `where` clause (seed 001: filters = { ["data.amount"] = { ">=", 500 } }) into one
// predicate, validating paths and operators up front so a typo fails at the call, not silently.
import { InvalidHistoryInputError } from './errors.js'
import type { Where, WhereOperator } from './types.js'

const OPS = new Set<WhereOperator>(['=', '==', '!=', '>', '>=', '<', '<=', 'in', 'not-in', 'contains', 'starts-with', 'exists'])

export type Predicate = (event: object) => boolean

export function compileWhere(where: Where | undefined): Predicate | undefined {
  if (where === undefined) return undefined
  if (typeof where !== 'object' || where === null || Array.isArray(where))
    throw new InvalidHistoryInputError('query.where', where, "must be an object like { 'data.amount': ['>=', 500] }")
  const tests: Predicate[] = []
  for (const [path, cond] of Object.entries(where)) {
    const segs = path.split('.')
    if (path.length === 0 || segs.some((s) => s.length === 0))
      throw new InvalidHistoryInputError('query.where', path, "keys are dot paths into the event, e.g. 'data.amount'")
    const [op, operand] = Array.isArray(cond) ? (cond as readonly [unknown, unknown]) : ['=', cond]
    if (typeof op !== 'string' || !OPS.has(op as WhereOperator))
      throw new InvalidHistoryInputError(`query.where['${path}']`, cond, `operator must be one of ${[...OPS].join(' ')}`)
    tests.push(compileOne(path, segs, op as WhereOperator, operand))
  }
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

type Cmp = number | string
const comparable = (v: unknown): v is Cmp => typeof v === 'number' || typeof v === 'string'

function compileOne(path: string, segs: readonly string[], op: WhereOperator, operand: unknown): Predicate {
  const bad = (rule: string) => new InvalidHistoryInputError(`query.where['${path}']`, [op, operand], rule)
  switch (op) {
    case '=':
    case '==':
      return (e) => get(e, segs) === operand
    case '!=':
      return (e) => get(e, segs) !== operand
    case '>':
    case '>=':
    case '<':
    case '<=': {
      if (!comparable(operand)) throw bad(`${op} needs a number or a string operand`)
      const cmp = (v: Cmp) => (op === '>' ? v > operand : op === '>=' ? v >= operand : op === '<' ? v < operand : v <= operand)
      // Mixed types never match (no coercion: '1000' is not >= 500).
      return (e) => {
        const v = get(e, segs)
        return typeof v === typeof operand && cmp(v as Cmp)
      }
    }
    case 'in':
    case 'not-in': {
      if (!Array.isArray(operand)) throw bad(`${op} needs an array operand`)
      const set = new Set<unknown>(operand)
      return op === 'in' ? (e) => set.has(get(e, segs)) : (e) => !set.has(get(e, segs))
    }
    case 'contains':
      return (e) => {
        const v = get(e, segs)
        return typeof v === 'string' ? typeof operand === 'string' && v.includes(operand) : Array.isArray(v) && v.includes(operand)
      }
    case 'starts-with': {
      if (typeof operand !== 'string') throw bad('starts-with needs a string operand')
      return (e) => {
        const v = get(e, segs)
        return typeof v === 'string' && v.startsWith(operand)
      }
    }
    case 'exists': {
      if (typeof operand !== 'boolean') throw bad('exists needs true or false')
      return (e) => (get(e, segs) !== undefined) === operand
    }
  }
}
