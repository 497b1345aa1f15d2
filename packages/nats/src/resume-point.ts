// The stream sequence a JetStream consumer resumes after. The leader tab tells the others over a
// BroadcastChannel how far it got (jetstream.ts posts it), so a tab that takes over skips nothing
// acknowledged. This part is loaded with connectNats (the rest of JetStream only on first use):
// a tab listens from the moment it connects, so no word of the leader's is missed.
import { isNat, isRecord } from '@tidings/core/bridge'

export const SEQ_TAG = 'tidings.nats.seq'

export interface ResumePoint {
  /** The last stream sequence delivered here, or by the leader tab (0: none yet). */
  seq: number
  channel: BroadcastChannel | undefined
}

/** A resume point for `stream` under `prefix`; another tab's word moves it forward only while
 *  `leading()` is false. */
export function resumePoint(stream: string, prefix: string, leading: () => boolean): ResumePoint {
  const point: ResumePoint = { seq: 0, channel: undefined }
  if (typeof BroadcastChannel === 'function') {
    const channel = (point.channel = new BroadcastChannel(`${SEQ_TAG}:${stream}:${prefix}`))
    channel.addEventListener('message', (m: MessageEvent) => {
      const d: unknown = m.data
      if (!leading() && isRecord(d) && d['tag'] === SEQ_TAG && isNat(d['seq']) && d['seq'] > point.seq) point.seq = d['seq']
    })
  }
  return point
}
