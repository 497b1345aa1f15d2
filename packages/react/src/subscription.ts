// The bus subscription behind useEvent and useLatest.
//
// When it subscribes. Effects run child first: a child's useLayoutEffect (and useEffect) runs
// before its parent's, and a child renders after its parent rendered but before the parent
// commits. A parent subscribing in useEffect or useLayoutEffect would therefore miss what its
// children publish while they render or mount, which is exactly when a child announces itself
// ("panel.opened"). So the subscription is opened *during render*, the first time the hook
// renders with a given bus, pattern and options, and taken over at commit by a layout effect,
// whose cleanup closes it (unmount, or a change of pattern or options).
//
// Render is allowed to have no lasting side effects, so this needs three guards:
// - A render that never commits (a Suspense boundary thrown away on mount, an interrupted
//   transition, React 18's StrictMode double render) leaves a subscription no effect will close:
//   every render-phase subscription closes itself after ABANDONED_MS unless a commit took it over
//   first. A commit that comes later than that (a long-suspended transition) re-subscribes.
// - StrictMode's simulated unmount/remount runs the layout cleanup (closed) and then the effect
//   again (re-opened): one live subscription at any time, so no event is delivered twice.
// - While a new pattern's subscription waits for its commit, only the newest one delivers, so an
//   event matching both the old and the new pattern reaches the handler once.
// On the server (and while hydrating) nothing subscribes during render: the layout effect, which
// runs only on the client, opens the subscription at commit.
//
// The handler and filter are read through the subscription's slot, refreshed by an insertion
// effect (which runs before every layout effect of the commit), so an inline arrow function does
// not re-subscribe each render and the latest one is always called.
import { useInsertionEffect, useLayoutEffect, useRef, useSyncExternalStore } from 'react'
import type { Bus, Handler, Patterns, SubscribeOptions, Subscription, TidingsEvent } from '@tidings/core'

/** How long a subscription opened during render waits for its commit before it closes itself. */
export const ABANDONED_MS = 1000

type AnyHandler = Handler<TidingsEvent>
type Filter = (event: TidingsEvent) => boolean
type Options = SubscribeOptions<TidingsEvent>

interface Slot {
  readonly bus: Bus
  readonly pattern: Patterns
  readonly options: Options | undefined
  handler: AnyHandler
  filter: Filter | undefined
  sub: Subscription | undefined
  /** Closed by this hook (abandoned render, cleanup), as opposed to ending by itself (once, signal). */
  closed: boolean
  timer: ReturnType<typeof setTimeout> | undefined
}

interface Box {
  /** The subscription the last commit took over. */
  live: Slot | undefined
  /** One opened during a render that has not committed yet. */
  pending: Slot | undefined
}

const subscribeNothing = () => () => {}
const no = () => false
const yes = () => true

export function useBusSubscription(bus: Bus, pattern: Patterns, handler: AnyHandler, options: Options | undefined): void {
  // True on the server and during hydration, where a render-phase subscription could leak.
  const serverOrHydrating = useSyncExternalStore(subscribeNothing, no, yes)
  const ref = useRef<Box | null>(null)
  const box = (ref.current ??= { live: undefined, pending: undefined })

  let slot = box.pending && matches(box.pending, bus, pattern, options) ? box.pending : undefined
  if (!slot && box.live && matches(box.live, bus, pattern, options)) slot = box.live
  if (box.pending && box.pending !== slot) {
    // A newer render replaced the one that opened it, before it committed.
    close(box.pending)
    box.pending = undefined
  }
  if (!slot) {
    slot = {
      bus,
      pattern: typeof pattern === 'string' ? pattern : [...pattern],
      options: copyOptions(options),
      handler,
      filter: options?.filter as Filter | undefined,
      sub: undefined,
      closed: true,
      timer: undefined,
    }
    if (!serverOrHydrating) {
      const pending = slot
      open(box, pending)
      box.pending = pending
      pending.timer = setTimeout(() => {
        if (box.pending === pending) box.pending = undefined
        close(pending)
      }, ABANDONED_MS)
    }
  }
  const current = slot

  useInsertionEffect(() => {
    current.handler = handler
    current.filter = options?.filter as Filter | undefined
  })

  useLayoutEffect(() => {
    if (box.pending === current) box.pending = undefined
    clearTimeout(current.timer)
    current.timer = undefined
    // Re-open after StrictMode's simulated unmount, a commit later than ABANDONED_MS, or hydration.
    if (current.closed) open(box, current)
    box.live = current
    return () => {
      if (box.live === current) box.live = undefined
      close(current)
    }
  }, [current])
}

function open(box: Box, slot: Slot): void {
  const { options } = slot
  const deliver: AnyHandler = (event, ctx) => {
    // Only the newest subscription delivers (see above); the others are about to close.
    if ((box.pending ?? box.live) === slot) return slot.handler(event, ctx)
    return undefined
  }
  let opts = options
  if (options?.filter) opts = { ...options, filter: (e) => slot.filter?.(e) ?? true }
  slot.sub = slot.bus.subscribe(slot.pattern, deliver, opts)
  slot.closed = false
}

function close(slot: Slot): void {
  clearTimeout(slot.timer)
  slot.timer = undefined
  slot.closed = true
  slot.sub?.unsubscribe()
}

function matches(slot: Slot, bus: Bus, pattern: Patterns, options: Options | undefined): boolean {
  return slot.bus === bus && samePattern(slot.pattern, pattern) && sameOptions(slot.options, options)
}

function samePattern(a: Patterns, b: Patterns): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b
  return a.length === b.length && a.every((p, i) => p === b[i])
}

/** By value: nested objects (queue, retry) shallowly, the filter by presence (it is read through
 *  the slot), anything else (signal) by identity. */
function sameOptions(a: Options | undefined, b: Options | undefined): boolean {
  const ka = definedKeys(a)
  const kb = definedKeys(b)
  if (ka.length !== kb.length) return false
  for (const k of ka) {
    const x: unknown = a?.[k]
    const y: unknown = b?.[k]
    if (k === 'filter') {
      if (y === undefined) return false
    } else if (isPlainObject(x) && isPlainObject(y)) {
      if (!shallowEqual(x, y)) return false
    } else if (!Object.is(x, y)) return false
  }
  return true
}

function definedKeys(o: Options | undefined): (keyof Options)[] {
  if (!o) return []
  return (Object.keys(o) as (keyof Options)[]).filter((k) => o[k] !== undefined)
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype
}

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => Object.is(a[k], b[k]))
}

/** A copy, so that mutating the options object the app passed is seen as a change. */
function copyOptions(o: Options | undefined): Options | undefined {
  if (!o) return undefined
  const copy: Options = { ...o }
  if (o.queue) copy.queue = { ...o.queue }
  if (o.retry) copy.retry = { ...o.retry }
  return copy
}
