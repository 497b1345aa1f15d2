// The live event log, virtualized with @tanstack/virtual-core: only the visible rows exist in the
// DOM, so 100k events scroll like 100. Column headers; rows with a handler error or a drop are
// highlighted; events the agent recorded before the panel opened are marked; up/down move the
// cursor (the open detail follows), Enter opens the detail, Escape closes it.
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from '@tanstack/virtual-core'
import { useLayoutEffect, useMemo, useReducer, useRef, useState } from 'preact/hooks'
import { preview, relative, shortOrigin, time } from './format.ts'
import type { LoggedEvent } from './store.ts'

const ROW = 26

/** Dropped or refused by a subscription: the larger of the receipt's count and the items seen. */
export const droppedCount = (e: LoggedEvent) => Math.max(e.receipt.dropped + e.receipt.rejected, e.refusals.length)

export function LogHeader() {
  return (
    <div class="log-header" role="row" data-testid="log-header">
      <span class="c-time" role="columnheader">time</span>
      <span class="c-type" role="columnheader">type</span>
      <span class="c-ctx" role="columnheader">context</span>
      <span class="c-counts" role="columnheader" title="deliveries / dropped or rejected / handler errors">
        delivered / dropped / errors
      </span>
      <span class="c-data" role="columnheader">data</span>
    </div>
  )
}

export function EventLog(props: { rows: LoggedEvent[]; selected: string | undefined; onSelect: (id: string | undefined) => void; version: number }) {
  const { rows, selected, onSelect } = props
  const scrollRef = useRef<HTMLDivElement>(null)
  const follow = useRef(true)
  const [cursor, setCursor] = useState<string | undefined>(selected)
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

  const onKey = (ev: KeyboardEvent) => {
    if (rows.length === 0) return
    const cur = cursor ?? selected
    const i = cur === undefined ? -1 : rows.findIndex((r) => r.event.id === cur)
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault()
      const next = ev.key === 'ArrowDown' ? (i < 0 ? 0 : Math.min(rows.length - 1, i + 1)) : i < 0 ? rows.length - 1 : Math.max(0, i - 1)
      const id = rows[next]!.event.id
      setCursor(id)
      follow.current = next === rows.length - 1
      virtualizer.scrollToIndex(next, { align: 'auto' })
      // An open detail follows the cursor, as in the Network panel.
      if (selected !== undefined) onSelect(id)
    } else if (ev.key === 'Enter' && cur !== undefined) {
      ev.preventDefault()
      onSelect(cur)
    } else if (ev.key === 'Escape' && selected !== undefined) {
      ev.preventDefault()
      onSelect(undefined)
    }
  }

  const now = Date.now()
  return (
    <div class="log">
      <LogHeader />
      <div class="log-scroll" ref={scrollRef} onScroll={onScroll} onKeyDown={onKey} tabIndex={0} role="grid" aria-label="event log" data-testid="event-log">
        <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const e = rows[item.index]
            if (!e) return null
            const problem = e.problem
            const dropped = droppedCount(e)
            const errors = e.errors.length
            const id = e.event.id
            return (
              <div
                key={e.n}
                role="row"
                aria-selected={id === selected}
                class={`log-row${id === selected ? ' selected' : ''}${id === (cursor ?? selected) ? ' cursor' : ''}${problem ? ` problem-${problem}` : ''}${e.recorded ? ' recorded' : ''}`}
                style={{ transform: `translateY(${item.start}px)`, height: `${ROW}px` }}
                onClick={() => (setCursor(id), onSelect(id))}
                data-testid="log-row"
                data-type={e.event.type}
                data-id={id}
                data-problem={problem ?? ''}
                data-recorded={e.recorded ? 'true' : 'false'}
              >
                <span class="c-time" title={`${relative(e.at, now)}${e.recorded ? ' · recorded before the panel opened' : ''}`} data-testid="row-time">
                  {e.recorded && <span class="rec" aria-label="before the panel opened">◷ </span>}
                  {time(e.at)}
                </span>
                <span class="c-type">{e.event.type}</span>
                <span class="c-ctx" title={e.ctx.origin}>
                  {e.ctx.via ? `${e.ctx.via} · ` : ''}
                  {shortOrigin(e.ctx.origin)}
                </span>
                <span class="c-counts" data-testid="row-counts">
                  <span class="n-ok">{e.delivered}</span> / <span class={dropped ? 'n-drop' : 'n-zero'}>{dropped}</span> /{' '}
                  <span class={errors ? 'n-err' : 'n-zero'}>{errors}</span>
                </span>
                <span class="c-data">{preview(e.event.data)}</span>
              </div>
            )
          })}
        </div>
      </div>
    </div>
  )
}
