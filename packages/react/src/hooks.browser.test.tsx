/** @jsxImportSource react */
// The hooks in real Chromium with React 19 (react-dom/client, act). Counts are exact: every test
// checks how many subscriptions the bus holds and how many times each handler ran.
import { Component, StrictMode, Suspense, act, startTransition, useLayoutEffect, useMemo, useState, type ReactNode } from 'react'
import { createRoot, type Root } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { Subject } from 'rxjs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBus, type Bus, type TidingsEvent } from '@tidings/core'
import { BusProvider, BusProviderMissingError, useEvent, useObservable, typedHooks } from './index.js'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

type Events = {
  'task.created': { title: string }
  'task.done': { title: string }
  'child.said': { n: number }
  'ping': { n: number }
}
const hooks = typedHooks<Events>()
const noop = () => {}

// Components that need nothing from their test.
function Orphan() {
  useEvent('ping', noop)
  return null
}
function PublishingChild() {
  hooks.usePublish()('child.said', { n: 1 })
  return null
}
function LastTask() {
  const last = hooks.useLatest('task.*')
  return <span>{last ? `${last.type}:${last.data.title}` : 'none'}</span>
}
function LastPingServer() {
  const last = hooks.useLatest('ping')
  hooks.useEvent('ping', noop)
  return <b>{String(last)}</b>
}
function LastOf({ pattern }: { pattern: 'task.created' | 'task.done' }) {
  const last = hooks.useLatest(pattern)
  return <span>{last?.data.title ?? 'none'}</span>
}

let mounted: { root: Root; el: HTMLElement }[] = []
afterEach(() => {
  for (const m of mounted) act(() => m.root.unmount())
  for (const m of mounted) m.el.remove()
  mounted = []
})

function mount(ui: ReactNode): { root: Root; el: HTMLElement; render(next: ReactNode): void; unmount(): void } {
  const el = document.createElement('div')
  document.body.append(el)
  const root = createRoot(el)
  const entry = { root, el }
  mounted.push(entry)
  act(() => root.render(ui))
  return {
    root,
    el,
    render: (next) => act(() => root.render(next)),
    unmount: () => {
      act(() => root.unmount())
      el.remove()
      mounted = mounted.filter((m) => m !== entry)
    },
  }
}

function newBus(): Bus<Events> {
  return createBus<Events>({ name: 'react-test' })
}

describe('BusProvider / useBus', () => {
  it('a hook outside <BusProvider> throws BusProviderMissingError naming the hook and the fix', () => {
    let error: unknown
    try {
      renderToString(<Orphan />)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(BusProviderMissingError)
    expect((error as BusProviderMissingError).name).toBe('BusProviderMissingError')
    expect((error as BusProviderMissingError).hook).toBe('useEvent()')
    expect((error as Error).message).toContain('<BusProvider bus={bus}>')
  })
})

describe('useEvent', () => {
  it('mount subscribes once, unmount leaves no subscription', () => {
    const bus = newBus()
    const seen: string[] = []
    function Listener() {
      hooks.useEvent('task.*', (e) => {
        seen.push(`${e.type}:${e.data.title}`)
      })
      return null
    }
    expect(bus.subscriptions()).toHaveLength(0)
    const view = mount(
      <BusProvider bus={bus}>
        <Listener />
        <Listener />
      </BusProvider>,
    )
    expect(bus.subscriptions()).toHaveLength(2)
    expect(bus.subscriptions().map((s) => s.patterns)).toEqual([['task.*'], ['task.*']])
    bus.publish('task.created', { title: 'a' })
    expect(seen).toEqual(['task.created:a', 'task.created:a'])
    view.unmount()
    expect(bus.subscriptions()).toHaveLength(0)
    bus.publish('task.created', { title: 'b' })
    expect(seen).toHaveLength(2)
  })

  it('StrictMode (double render, effects run twice): one subscription, every event delivered once', () => {
    const bus = newBus()
    const seen: number[] = []
    let renders = 0
    function Listener() {
      renders++
      hooks.useEvent('ping', (e) => {
        seen.push(e.data.n)
      })
      return null
    }
    const view = mount(
      <StrictMode>
        <BusProvider bus={bus}>
          <Listener />
        </BusProvider>
      </StrictMode>,
    )
    expect(renders).toBe(2) // StrictMode did render twice
    expect(bus.subscriptions()).toHaveLength(1)
    bus.publish('ping', { n: 1 })
    bus.publish('ping', { n: 2 })
    expect(seen).toEqual([1, 2])
    view.unmount()
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it("an event a child publishes while it renders reaches the parent's useEvent", () => {
    const bus = newBus()
    const seen: number[] = []
    function Parent() {
      hooks.useEvent('child.said', (e) => {
        seen.push(e.data.n)
      })
      return <PublishingChild />
    }
    mount(
      <BusProvider bus={bus}>
        <Parent />
      </BusProvider>,
    )
    expect(seen).toEqual([1])
    expect(bus.subscriptions()).toHaveLength(1)
  })

  it("an event a child publishes in its layout effect reaches the parent's useEvent, in StrictMode too", () => {
    for (const strict of [false, true]) {
      const bus = newBus()
      const seen: string[] = []
      function Child({ n }: { n: number }) {
        const publish = hooks.usePublish()
        useLayoutEffect(() => {
          publish('child.said', { n })
        }, [publish, n])
        return null
      }
      function Parent() {
        hooks.useEvent('child.said', (e) => {
          seen.push(`parent got ${e.data.n}`)
        })
        return (
          <>
            <Child n={1} />
            <Child n={2} />
          </>
        )
      }
      const app = (
        <BusProvider bus={bus}>
          <Parent />
        </BusProvider>
      )
      const view = mount(strict ? <StrictMode>{app}</StrictMode> : app)
      // StrictMode re-runs the children's effects while the parent is "unmounted" (its
      // subscription closed), so the parent sees each child's mount once.
      expect(seen).toEqual(['parent got 1', 'parent got 2'])
      expect(bus.subscriptions()).toHaveLength(1)
      view.unmount()
      expect(bus.subscriptions()).toHaveLength(0)
    }
  })

  it('calls the latest inline handler and filter without re-subscribing', () => {
    const bus = newBus()
    const seen: string[] = []
    let rerender: (n: number) => void = noop
    function Listener() {
      const [n, setN] = useState(0)
      rerender = setN
      hooks.useEvent(
        ['ping'],
        (e) => {
          seen.push(`render ${n} got ${e.data.n}`)
        },
        { filter: (e) => e.data.n > n, priority: 2 },
      )
      return null
    }
    mount(
      <BusProvider bus={bus}>
        <Listener />
      </BusProvider>,
    )
    const id = bus.subscriptions()[0]?.id
    expect(bus.subscriptions()).toHaveLength(1)
    bus.publish('ping', { n: 1 })
    for (const n of [1, 2, 3]) act(() => rerender(n))
    expect(bus.subscriptions().map((s) => s.id)).toEqual([id])
    expect(bus.subscriptions()[0]?.priority).toBe(2)
    bus.publish('ping', { n: 3 }) // filtered out by the latest filter (3 > 3 is false)
    bus.publish('ping', { n: 4 })
    expect(seen).toEqual(['render 0 got 1', 'render 3 got 4'])
  })

  it('re-subscribes when the pattern or the options change by value, not for equal new objects', async () => {
    const bus = newBus()
    const seen: string[] = []
    function Listener({ pattern, max, priority }: { pattern: string[]; max: number; priority: number }) {
      useEvent(pattern, (e) => {
        seen.push(e.type)
      }, { priority, queue: { max, strategy: 'drop-oldest' } })
      return null
    }
    const ui = (pattern: string[], max: number, priority: number) => (
      <BusProvider bus={bus}>
        <Listener pattern={pattern} max={max} priority={priority} />
      </BusProvider>
    )
    const view = mount(ui(['task.created'], 10, 0))
    const first = bus.subscriptions()
    expect(first).toHaveLength(1)
    expect(first[0]).toMatchObject({ kind: 'queued', queueMax: 10, priority: 0, patterns: ['task.created'] })
    view.render(ui(['task.created'], 10, 0)) // new arrays and objects, same values
    expect(bus.subscriptions().map((s) => s.id)).toEqual([first[0]?.id])

    view.render(ui(['task.created'], 20, 0))
    const second = bus.subscriptions()
    expect(second).toHaveLength(1)
    expect(second[0]?.id).not.toBe(first[0]?.id)
    expect(second[0]).toMatchObject({ queueMax: 20 })

    view.render(ui(['task.created', 'task.done'], 20, 5))
    const third = bus.subscriptions()
    expect(third).toHaveLength(1)
    expect(third[0]).toMatchObject({ patterns: ['task.created', 'task.done'], priority: 5 })

    bus.publish('task.created', { title: 'x' })
    bus.publish('task.done', { title: 'x' })
    await vi.waitFor(() => expect(seen).toEqual(['task.created', 'task.done']))
    view.unmount()
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('a once subscription is not re-armed by re-renders', () => {
    const bus = newBus()
    const seen: number[] = []
    let rerender: (n: number) => void = noop
    function Listener() {
      const [, setN] = useState(0)
      rerender = setN
      hooks.useEvent('ping', (e) => void seen.push(e.data.n), { once: true })
      return null
    }
    mount(
      <BusProvider bus={bus}>
        <Listener />
      </BusProvider>,
    )
    bus.publish('ping', { n: 1 })
    act(() => rerender(1))
    bus.publish('ping', { n: 2 })
    expect(seen).toEqual([1])
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('a render that never commits (Suspense on mount) closes its subscription by itself', async () => {
    const bus = newBus()
    const seen: number[] = []
    let resolve: () => void = noop
    const gate = new Promise<void>((r) => (resolve = r))
    let ready = false
    function Gate() {
      if (!ready) throw gate
      return null
    }
    function Listener() {
      hooks.useEvent('ping', (e) => void seen.push(e.data.n))
      return null
    }
    mount(
      <BusProvider bus={bus}>
        <Suspense fallback="loading">
          <Listener />
          <Gate />
        </Suspense>
      </BusProvider>,
    )
    // The Listener rendered (and subscribed) but was thrown away with its suspended sibling.
    await vi.waitFor(() => expect(bus.subscriptions()).toHaveLength(0), { timeout: 5000 })
    ready = true
    await act(async () => {
      resolve()
      await gate
    })
    expect(bus.subscriptions()).toHaveLength(1)
    bus.publish('ping', { n: 7 })
    expect(seen).toEqual([7])
  })
})

describe('useLatest', () => {
  it('is undefined until a matching event, then the last one; unmount unsubscribes', () => {
    const bus = newBus()
    const view = mount(
      <BusProvider bus={bus}>
        <LastTask />
      </BusProvider>,
    )
    expect(view.el.textContent).toBe('none')
    expect(bus.subscriptions()).toHaveLength(1)
    act(() => {
      bus.publish('task.created', { title: 'a' })
      bus.publish('ping', { n: 1 })
      bus.publish('task.done', { title: 'b' })
    })
    expect(view.el.textContent).toBe('task.done:b')
    view.unmount()
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('no tearing: an event published while a concurrent render yields shows in every reader of the commit', async () => {
    const bus = newBus()
    const readers = [0, 1, 2, 3, 4, 5, 6, 7]
    const read: string[] = []
    const committed: string[] = []
    let publishFrom = -1
    function Reader({ i, gen }: { i: number; gen: number }) {
      const value = hooks.useLatest('ping')?.data.n ?? 0
      read.push(`gen ${gen}: ${value}`)
      if (i === publishFrom) {
        publishFrom = -1
        setTimeout(() => bus.publish('ping', { n: 2 }))
      }
      // Slow render: the transition yields to the event loop (every 5 ms) between readers.
      const until = performance.now() + 8
      while (performance.now() < until);
      useLayoutEffect(() => void committed.push(`gen ${gen}: ${value}`))
      return <span>{value}</span>
    }
    const ui = (gen: number) => (
      <BusProvider bus={bus}>
        {readers.map((i) => (
          <Reader key={i} i={i} gen={gen} />
        ))}
      </BusProvider>
    )
    const view = mount(ui(0))
    act(() => bus.publish('ping', { n: 1 }))
    expect(committed.slice(-8)).toEqual(readers.map(() => 'gen 0: 1'))
    read.length = 0
    committed.length = 0
    // Outside act, so React renders the transition in slices and the timer runs in between.
    const env = globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
    env.IS_REACT_ACT_ENVIRONMENT = false
    try {
      publishFrom = 1
      startTransition(() => view.root.render(ui(1)))
      await vi.waitFor(() => expect(committed.filter((c) => c.startsWith('gen 1')).length).toBeGreaterThanOrEqual(8), { timeout: 5000 })
    } finally {
      env.IS_REACT_ACT_ENVIRONMENT = true
    }
    // The precondition: the render did see the store change under it (some readers read 1, later
    // ones 2). A store read outside useSyncExternalStore would commit that torn mix (1, 1, 2, ...).
    // Here React throws the torn render away: whatever it commits (the urgent re-render of gen 0
    // the change scheduled, then the transition again) shows 2 in every reader.
    expect(read).toContain('gen 1: 1')
    expect(read).toContain('gen 1: 2')
    expect(committed.filter((c) => c.endsWith(': 1'))).toEqual([])
    expect(committed.slice(-8)).toEqual(readers.map(() => 'gen 1: 2'))
  })

  it('server snapshot: renderToString gives undefined and subscribes nothing', () => {
    const bus = newBus()
    bus.publish('ping', { n: 1 })
    const html = renderToString(
      <BusProvider bus={bus}>
        <LastPingServer />
      </BusProvider>,
    )
    expect(html).toBe('<b>undefined</b>')
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('a new pattern starts from undefined', () => {
    const bus = newBus()
    const ui = (pattern: 'task.created' | 'task.done') => (
      <BusProvider bus={bus}>
        <LastOf pattern={pattern} />
      </BusProvider>
    )
    const view = mount(ui('task.created'))
    act(() => void bus.publish('task.created', { title: 'a' }))
    expect(view.el.textContent).toBe('a')
    view.render(ui('task.done'))
    expect(view.el.textContent).toBe('none')
    expect(bus.subscriptions().map((s) => s.patterns)).toEqual([['task.done']])
    act(() => void bus.publish('task.done', { title: 'b' }))
    expect(view.el.textContent).toBe('b')
  })
})

describe('useObservable', () => {
  it('shows the latest value of bus.on(), initial before; unmount unsubscribes', () => {
    const bus = newBus()
    const titles$ = bus.on('task.*')
    function Last() {
      const e = useObservable<TidingsEvent<{ title: string }> | undefined>(titles$, undefined)
      return <span>{e?.data.title ?? 'initial'}</span>
    }
    const view = mount(
      <BusProvider bus={bus}>
        <Last />
      </BusProvider>,
    )
    expect(view.el.textContent).toBe('initial')
    expect(bus.subscriptions()).toHaveLength(1)
    act(() => void bus.publish('task.created', { title: 'a' }))
    expect(view.el.textContent).toBe('a')
    act(() => void bus.publish('task.done', { title: 'b' }))
    expect(view.el.textContent).toBe('b')
    view.unmount()
    expect(bus.subscriptions()).toHaveLength(0)
  })

  it('a stream created with useMemo(() => bus.on(...)) subscribes once across renders', () => {
    const bus = newBus()
    let rerender: (n: number) => void = noop
    function Last() {
      const [n, setN] = useState(0)
      rerender = setN
      const pings$ = useMemo(() => bus.on('ping'), [])
      const e = useObservable(pings$, undefined)
      return <span>{`${n}:${e?.data.n ?? '-'}`}</span>
    }
    const view = mount(<Last />)
    act(() => void bus.publish('ping', { n: 5 }))
    const id = bus.subscriptions()[0]?.id
    act(() => rerender(1))
    act(() => rerender(2))
    expect(view.el.textContent).toBe('2:5')
    expect(bus.subscriptions().map((s) => s.id)).toEqual([id])
  })

  it('throws the error a stream ends with into the nearest error boundary', () => {
    const source = new Subject<number>()
    class Boundary extends Component<{ children: ReactNode }, { error: string | undefined }> {
      override state = { error: undefined as string | undefined }
      static getDerivedStateFromError(e: Error) {
        return { error: e.message }
      }
      override render() {
        return this.state.error ?? this.props.children
      }
    }
    function Value() {
      return <>{useObservable(source, 0)}</>
    }
    const view = mount(
      <Boundary>
        <Value />
      </Boundary>,
    )
    act(() => source.next(3))
    expect(view.el.textContent).toBe('3')
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {})
    act(() => source.error(new Error('stream broke')))
    errors.mockRestore()
    expect(view.el.textContent).toBe('stream broke')
  })
})

describe('usePublish', () => {
  it('keeps its identity across renders and publishes on the provider bus', () => {
    const bus = newBus()
    const publishers: unknown[] = []
    let rerender: (n: number) => void = noop
    function Button() {
      const [n, setN] = useState(0)
      rerender = setN
      const publish = hooks.usePublish()
      publishers.push(publish)
      return <button onClick={() => publish('task.created', { title: `t${n}` })}>add</button>
    }
    const seen: string[] = []
    bus.subscribe('task.created', (e) => void seen.push(e.data.title))
    const view = mount(
      <BusProvider bus={bus}>
        <Button />
      </BusProvider>,
    )
    act(() => rerender(1))
    act(() => rerender(2))
    expect(publishers).toHaveLength(3)
    expect(new Set(publishers).size).toBe(1)
    act(() => view.el.querySelector('button')?.click())
    expect(seen).toEqual(['t2'])
  })
})
