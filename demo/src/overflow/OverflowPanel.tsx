// Queue overflow made visible: a burst button, the slow consumer's queue and its drop counters.
import { useState } from 'preact/hooks'
import { bus } from '../bus.ts'
import { useTick } from '../hooks/use-tick.ts'
import { burst, publishedTicks, QUEUE_MAX, slowConsumer, WORK_MS } from './slow-consumer.ts'

const BURST = 1000

export function OverflowPanel() {
  useTick(200)
  const [lastBurst, setLastBurst] = useState<{ published: number; dropped: number } | null>(null)
  const s = slowConsumer.stats()
  return (
    <section class="panel" data-testid="overflow-panel">
      <h2>Backpressure</h2>
      <p class="muted">
        A consumer that needs {WORK_MS} ms per event, behind <code>queue: {'{'} max: {QUEUE_MAX}, strategy: 'drop-oldest' {'}'}</code>.
      </p>
      <button data-testid="burst" onClick={() => setLastBurst(burst(BURST))}>
        Burst {BURST} events
      </button>
      {lastBurst && (
        <p data-testid="burst-result">
          last burst: {lastBurst.published} published, <span data-testid="burst-dropped">{lastBurst.dropped}</span> dropped at publish time
        </p>
      )}
      <meter min={0} max={QUEUE_MAX} value={s.queued} title="queue depth" />
      <table class="counters">
        <tbody>
          <tr><th>published</th><td data-testid="ov-published">{publishedTicks()}</td></tr>
          <tr><th>received</th><td data-testid="ov-received">{s.received}</td></tr>
          <tr><th>handled</th><td data-testid="ov-handled">{s.handled}</td></tr>
          <tr><th>dropped</th><td data-testid="ov-dropped">{s.dropped}</td></tr>
          <tr><th>queued now / max seen</th><td data-testid="ov-queued">{s.queued} / {s.maxQueued}</td></tr>
          <tr><th>bus-wide dropped</th><td data-testid="ov-bus-dropped">{bus.stats().dropped}</td></tr>
          {/* drop-oldest keeps the newest ticks: once drained, this is the last tick published. */}
          <tr><th>last tick handled</th><td data-testid="ov-last">{slowConsumer.lastHandled() < 0 ? '—' : slowConsumer.lastHandled()}</td></tr>
        </tbody>
      </table>
    </section>
  )
}
