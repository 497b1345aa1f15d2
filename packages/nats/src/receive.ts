// One message from NATS into the bus: its subject must be under the bridge's prefix, its bytes a
// Tidings frame (frame.ts) holding one event whose topic is that subject's, and then the shared
// inbound pipe (sessions, dedupe, validation) takes it. Per-subject permissions are the server's
// only guard, so an event must travel on its own topic's subject: otherwise a user allowed on
// `chat.>` could inject `admin.*` events.
import { describeError, ingestBatch, type InboundPipe } from '@tidings/core/bridge'
import { decodeFrame, frameType } from './frame.js'
import { topicOf } from './subjects.js'

/** Takes one message in; never throws: what is not a frame for its subject goes to `malformed`
 *  (with the subject and the reason), and the pipe reports the rest itself. */
export function receiveMessage(pipe: InboundPipe, prefix: string, subject: string, data: Uint8Array, malformed: (subject: string, reason: string) => void): void {
  try {
    const type = topicOf(prefix, subject)
    if (type === undefined) return malformed(subject, 'the subject is not under the bridge prefix')
    let batch: unknown
    try {
      batch = decodeFrame(data)
    } catch (err) {
      return malformed(subject, describeError(err))
    }
    const claimed = frameType(batch)
    if (claimed !== type) return malformed(subject, claimed === undefined ? 'not a one-event Tidings batch' : `it claims topic "${claimed.slice(0, 100)}", which is not its subject's`)
    ingestBatch(pipe, batch, subject)
  } catch (err) {
    malformed(subject, describeError(err))
  }
}
