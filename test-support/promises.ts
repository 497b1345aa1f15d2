// Promise helpers shared by tests.

/** The error `p` rejects with (its own fields readable: `code`, `status`...); throws if `p`
 *  resolves, so a test that expects a failure fails. */
export async function rejection<E extends Error = Error & Record<string, unknown>>(p: Promise<unknown>): Promise<E> {
  try {
    await p
  } catch (e) {
    return e as E
  }
  throw new Error('expected the promise to reject')
}
