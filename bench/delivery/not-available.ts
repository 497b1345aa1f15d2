// For a library that lacks a measured feature (a queue, request/reply): its setup throws, and the
// benchmark reports "n/a (not implemented)" instead of failing the run. Errors after setup (wrong
// counts, wrong replies) still fail.
import type { NotApplicable } from '../node-bench.ts'

export class NotAvailable extends Error {
  override name = 'NotAvailable'
}

/** Runs a setup step; anything it throws means the feature is not there yet. */
export function setupStep<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw new NotAvailable(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}

/** For a first async call: only an explicit "not available/implemented" rejection means n/a. */
export async function firstCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    if (/not (available|implemented)/i.test(message)) throw new NotAvailable(`${what}: ${message}`, { cause: e })
    throw e
  }
}

export async function orNotApplicable<T>(fn: () => Promise<T>): Promise<T | NotApplicable> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof NotAvailable) return { na: `not implemented (${e.message})` }
    throw e
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}
