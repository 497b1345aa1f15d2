// The live event log, virtualized with @tanstack/virtual-core: only the visible rows exist in the
// DOM, so 100k events scroll like 100.
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core'
import { useLayoutEffect, useMemo, useReducer, useRef } from 'preact/hooks'
import { preview, shortOrigin, time } from './format.ts'
import type { LoggedEvent } from './store.ts'

const ROW = 24

export function EventLog(props: { rows: LoggedEvent[]; selected: string | undefined; onSelect: (id: string) => void; version: number }) {
  const { rows, selected, onSelect } = props
  const scrollRef = useRef<HTMLDivElement>(null)
  const follow = useRef(true)
  const [, rerender] = useReducer((x: number) => x + 1, 0)
  const virtualizer = useMemo(
    () =>
      new Virtualizer<HTMLDivElement, HTMLDivElement>({
        count: rows.length,
        getScrollElement: () => scrollRef.current,
        estimateSize: () => ROW,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        overscan: 15,
        onChange: () => rerender(0),
      }),
    [],
  )
  virtualizer.setOptions({ ...virtualizer.options, count: rows.length })

  // _didMount/_willUpdate are virtual-core's adapter hooks (what its React/Preact adapters call).
  // oxlint-disable-next-line no-underscore-dangle
  useLayoutEffect(() => virtualizer._didMount(), [virtualizer])
  useLayoutEffect(() => {
    // oxlint-disable-next-line no-underscore-dangle
    virtualizer._willUpdate()
    if (follow.current && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: 'end' })
  })

  const onScroll = () => {
    const el = scrollRef.current
    if (el) follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW * 2
  }

  return (
    <div class="log-scroll" ref={scrollRef} onScroll={onScroll} data-testid="event-log">
      <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const e = rows[item.index]
          if (!e) return null
          const failed = e.errors.length > 0
          const refused = e.refusals.length > 0 || e.receipt.dropped > 0 || e.receipt.rejected > 0
          return (
            <div
              key={e.n}
              class={`log-row${e.event.id === selected ? ' selected' : ''}${failed ? ' failed' : ''}`}
              style={{ transform: `translateY(${item.start}px)`, height: `${ROW}px` }}
              onClick={() => onSelect(e.event.id)}
              data-testid="log-row"
              data-type={e.event.type}
              data-id={e.event.id}
            >
              <span class="c-time">{time(e.at)}</span>
              <span class="c-type">{e.event.type}</span>
              <span class="c-ctx" title={e.ctx.origin}>
                {e.ctx.via ? `${e.ctx.via} · ` : ''}
                {shortOrigin(e.ctx.origin)}
              </span>
              <span class="c-subs" title="deliveries">
                {e.deliveries.length}
                {failed ? ' ⚠' : ''}
                {refused ? ' ⊘' : ''}
              </span>
              <span class="c-data">{preview(e.event.data)}</span>
            </div>
          )
        })}
      </div>
    </div>
  )
}
