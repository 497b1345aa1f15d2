// Where an event's data stops structured clone, for the `unsendable` issue of a tabs bridge
// without a key: the browser's DataCloneError names the value (`()=>{} could not be cloned`) but
// not where it sits. Loaded with import() on the first such event: most tabs never send one.
import type { TidingsEvent } from '@tidings/core'
import { describeError, findUncloneableInEvent } from '@tidings/core/bridge'

/** `data.onClick is a function, which structured clone cannot copy`, or undefined when the walk
 *  finds nothing (the transport refused the event for another reason). Never throws: a value
 *  that throws when read is named as such. */
export function uncloneablePath(e: TidingsEvent): string | undefined {
  try {
    const bad = findUncloneableInEvent(e.data, e.metadata)
    return bad === undefined ? undefined : `${bad.path} is a ${bad.kind}, which structured clone cannot copy`
  } catch (err) {
    return `data throws when read (${describeError(err)})`
  }
}
