// The stream sequence a JetStream consumer resumes after. The leader tab tells the others over a
// BroadcastChannel how far it got (jetstream.ts posts it: at most every 100 ms while it delivers,
// and when it steps down), so a tab that takes over skips nothing acknowledged. A tab listens
// once jetstream.ts has loaded (import(), right when connectNats is called): until then it is
// like a tab opened a moment later, which learns the sequence from the leader's next word.
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
